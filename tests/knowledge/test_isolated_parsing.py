"""Uploads are parsed in a child process with CPU, memory and wall-clock limits: hostile files fail fast with a
reason people understand, the caller's event loop never stalls, and a cancelled parse leaves no process."""

from __future__ import annotations

import asyncio
import io
import os
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import docx
import pytest

from backend.knowledge.parsing import DocumentError, parse_document
from backend.knowledge.parsing.isolated import ParseLimits, parse_isolated
from tests.fixtures.hostile import docx_bomb, pdf_bomb

FAST = ParseLimits(cpu_seconds=3, memory_mb=1024, wall_seconds=20)


@pytest.fixture(scope="module")
def bombs() -> dict[str, bytes]:
    return {"bomb.docx": docx_bomb(), "bomb.pdf": pdf_bomb()}


def parse_children() -> list[int]:
    """Our child parsers still alive (their command line names the module)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmdline = (entry / "cmdline").read_bytes()
                stat = (entry / "stat").read_text().split()
            except OSError:
                continue
            if b"backend.knowledge.parsing.isolated" in cmdline and int(stat[3]) == os.getpid():
                found.append(int(entry.name))
    return found


@asynccontextmanager
async def loop_lag() -> AsyncIterator[list[float]]:
    """The longest the event loop went without running a 10 ms ticker, in seconds (appended on exit)."""
    worst = [0.0]

    async def tick() -> None:
        last = time.perf_counter()
        while True:
            await asyncio.sleep(0.01)
            now = time.perf_counter()
            worst[0] = max(worst[0], now - last - 0.01)
            last = now

    task = asyncio.create_task(tick())
    out: list[float] = []
    try:
        yield out
    finally:
        task.cancel()
        out.append(worst[0])


@pytest.mark.parametrize("name", ["bomb.docx", "bomb.pdf"])
async def test_hostile_files_fail_fast_and_the_loop_keeps_running(bombs: dict[str, bytes], name: str) -> None:
    started = time.monotonic()
    async with loop_lag() as lag:
        with pytest.raises(DocumentError) as caught:
            await parse_isolated(bombs[name], name, FAST)
    took = time.monotonic() - started
    assert "to read safely" in caught.value.reason, caught.value.reason
    assert took < FAST.wall_seconds + 5, took
    assert lag[0] < 0.5, f"the event loop stalled for {lag[0]:.2f}s while {name} was parsed"
    assert parse_children() == []


async def test_memory_limit_is_a_reason_not_a_damaged_file(bombs: dict[str, bytes]) -> None:
    limits = ParseLimits(cpu_seconds=30, memory_mb=300, wall_seconds=30)
    with pytest.raises(DocumentError) as caught:
        await parse_isolated(bombs["bomb.docx"], "bomb.docx", limits)
    assert "expands to too much data to read safely" in caught.value.reason
    assert "300 MB" in caught.value.reason


async def test_text_limit() -> None:
    text = "".join(f"Paragraph {i}: a plain sentence about patience and effort. " * 20 + "\n\n" for i in range(2000))
    with pytest.raises(DocumentError) as caught:
        await parse_isolated(text.encode(), "long.txt", ParseLimits(max_chars=1_000_000))
    assert "expands to too much text to read safely" in caught.value.reason


async def test_cancelling_the_caller_kills_the_child(bombs: dict[str, bytes]) -> None:
    task = asyncio.create_task(parse_isolated(bombs["bomb.pdf"], "bomb.pdf", FAST))
    for _ in range(200):
        if parse_children():
            break
        await asyncio.sleep(0.02)
    assert parse_children(), "the child never started"
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert parse_children() == []


async def test_real_documents_parse_as_they_do_in_process() -> None:
    word = docx.Document()
    word.add_heading("On patience", level=1)
    word.add_paragraph("Patience is a practice, not a mood. " * 5)
    buffer = io.BytesIO()
    word.save(buffer)
    files = {
        "notes.md": b"# Morning\n\nBegin the day by telling yourself what you will meet.\n",
        "notes.txt": "Caf\u00e9 thoughts.\n\nA second paragraph here.".encode(),
        "patience.docx": buffer.getvalue(),
    }
    for name, data in files.items():
        assert await parse_isolated(data, name, ParseLimits()) == parse_document(data, name), name
    with pytest.raises(DocumentError) as caught:
        await parse_isolated(b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, "x.png", ParseLimits())
    assert "image" in caught.value.reason
