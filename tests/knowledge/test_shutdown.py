"""SIGTERM to the API (granian, in-process worker) while hostile files are parsed and requests keep coming:
it exits within 10 s, the documents in work end `failed` (interrupted), and no parsing child is left behind."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest

from backend.cli import api_command
from tests.conftest import SMTP, STRONG_PASSWORD, unique_email
from tests.fixtures.accounts import sign_up
from tests.fixtures.hostile import docx_bomb, pdf_bomb
from tests.fixtures.live import free_port
from tests.knowledge.helpers import admin_fetch

pytestmark = pytest.mark.slow


def children_marked(marker: str) -> list[int]:
    """Processes whose environment carries `marker` (this test's job queue name)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (
                    marker.encode() in (entry / "environ").read_bytes()
                    and b"parsing.isolated" in (entry / "cmdline").read_bytes()
                ):
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


async def _load(base: str, headers: dict[str, str], stop: asyncio.Event) -> int:
    """Requests in a loop from 8 clients until `stop`; returns how many were answered."""
    answered = 0

    async def one(client: httpx.AsyncClient) -> None:
        nonlocal answered
        while not stop.is_set():
            try:
                await client.get("/api/v1/knowledge/documents", headers=headers)
                answered += 1
            except httpx.HTTPError:
                await asyncio.sleep(0.05)

    async with httpx.AsyncClient(base_url=base, timeout=5) as client:
        await asyncio.gather(*(one(client) for _ in range(8)))
    return answered


async def test_sigterm_under_load_exits_within_10s(migrated_database: str) -> None:
    port, queue = free_port(), f"shutdown-test-{uuid.uuid4().hex[:8]}"
    env = {
        **os.environ,
        "API_PORT": str(port),
        "JOB_QUEUE": queue,
        "WORKER_IN_PROCESS": "true",
        "PARSE_CPU_SECONDS": "120",  # the parses must still be running when SIGTERM comes
        "PARSE_WALL_SECONDS": "120",
    }
    command = api_command(1)
    command[command.index("--port") + 1] = str(port)  # this process's settings name the default port
    server = subprocess.Popen(command, env=env)  # noqa: ASYNC220
    base = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient(base_url=base, timeout=30) as client:
            for _ in range(300):
                try:
                    if (await client.get("/health")).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                assert server.poll() is None, "the API did not start"
                await asyncio.sleep(0.1)
            email = unique_email("shutdown")
            await asyncio.to_thread(sign_up, base, email, STRONG_PASSWORD, "Shut Down", SMTP.sink)
            r = await client.post("/api/v1/auth/login", json={"email": email, "password": STRONG_PASSWORD})
            headers = {"Authorization": f"Bearer {r.json()['access_token']}"}
            ids = []
            for name, data in (("a.pdf", pdf_bomb()), ("b.docx", docx_bomb()), ("c.pdf", pdf_bomb(seed=3))):
                r = await client.post("/api/v1/knowledge/documents", headers=headers, files={"file": (name, data)})
                assert r.status_code == 202, r.text
                ids.append(r.json()["id"])
            for _ in range(300):
                if children_marked(queue):
                    break
                await asyncio.sleep(0.1)
            assert children_marked(queue), "no parse started"
        stop = asyncio.Event()
        load = asyncio.create_task(_load(base, headers, stop))
        await asyncio.sleep(1)
        started = time.monotonic()
        server.send_signal(signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            await asyncio.to_thread(server.wait, 30)
        took = time.monotonic() - started
        stop.set()
        answered = await load
        print(f"SIGTERM to exit under load: {took:.2f}s ({answered} requests answered meanwhile)")
        assert server.poll() is not None and took < 10, took
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
    assert children_marked(queue) == []
    rows = await admin_fetch("SELECT status, error FROM documents WHERE id = ANY($1::uuid[])", ids)
    statuses: list[Any] = [(r["status"], r["error"]) for r in rows]
    assert all(status in ("failed", "queued") for status, _ in statuses), statuses
    assert any(status == "failed" and "interrupted" in (error or "") for status, error in statuses), statuses
