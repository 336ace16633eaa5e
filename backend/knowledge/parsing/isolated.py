"""Parse an upload in a child process with CPU-time, memory and wall-clock limits.

Uploads are untrusted: a 1.1 MB DOCX can expand to 35 MB of XML and a 240 KB PDF to 12 MB of drawing
instructions. Parsed in the API's own process (the in-process worker shares it) such a file held the
interpreter for minutes, grew it by gigabytes and could not be stopped (a thread cannot be killed). Here
the parent only awaits a pipe, so its event loop never stalls; the child limits itself (RLIMIT_CPU,
RLIMIT_AS) before it reads a byte of the file, the parent kills it at the wall-clock limit or when the
awaiting job is cancelled, and every way it can fail ends in a DocumentError with a sentence people act on.

Protocol: stdin carries a msgpack request `{data, filename, max_bytes, max_chars, cpu_s, memory_mb}`; stdout
carries a msgpack answer, `{"ok": ParsedDocument as builtins}` or `{"error": reason}`.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import resource
import signal
import sys
from dataclasses import dataclass
from typing import Any

import msgspec

from backend.knowledge.parsing.events import Block, DocumentError, ParsedDocument

TOO_SLOW = (
    "This file takes too long to read safely (more than {s:.0f} s of work); it may be damaged or built to "
    "overload the reader. Export it again (e.g. save as a new PDF or .docx), or split it into smaller files."
)
TOO_BIG = (
    "This file expands to too much data to read safely (more than {mb} MB of memory once unpacked). "
    "Export it again, or split it into smaller files."
)
TOO_MUCH_TEXT = (
    "This file expands to too much text to read safely ({chars:,} characters; the limit is {limit:,}). "
    "Split it into smaller files."
)
CRASHED = "The file could not be read: the reader stopped unexpectedly. Try exporting it again."


@dataclass(frozen=True)
class ParseLimits:
    cpu_seconds: int = 30
    memory_mb: int = 1024
    wall_seconds: float = 45.0
    max_chars: int = 30_000_000
    max_bytes: int = 25 * 1024 * 1024


_DECODE = msgspec.msgpack.Decoder(dict[str, Any])
_ENCODE = msgspec.msgpack.Encoder()


async def parse_isolated(data: bytes, filename: str | None, limits: ParseLimits) -> ParsedDocument:
    """Parse in a fresh child process; cancelling the caller kills the child at once."""
    request = _ENCODE.encode(
        {
            "data": data,
            "filename": filename,
            "max_bytes": limits.max_bytes,
            "max_chars": limits.max_chars,
            "cpu_s": limits.cpu_seconds,
            "memory_mb": limits.memory_mb,
        }
    )
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "backend.knowledge.parsing.isolated",
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
        start_new_session=True,  # a Ctrl-C or SIGTERM meant for the API does not hit the child first
    )
    try:
        async with asyncio.timeout(limits.wall_seconds):
            out, _ = await child.communicate(request)
    except TimeoutError:
        raise DocumentError(TOO_SLOW.format(s=limits.wall_seconds)) from None
    finally:
        if child.returncode is None:  # timed out or cancelled: never leave it running
            with contextlib.suppress(ProcessLookupError):
                child.kill()
            with contextlib.suppress(Exception):
                await asyncio.shield(child.wait())
    return _answer(child.returncode, out, limits)


def _answer(code: int | None, out: bytes, limits: ParseLimits) -> ParsedDocument:
    if out:
        try:
            answer = _DECODE.decode(out)
        except msgspec.DecodeError:
            answer = {}
        if "error" in answer:
            raise DocumentError(str(answer["error"]))
        if "ok" in answer:
            return msgspec.convert(answer["ok"], ParsedDocument)
    if code in (-signal.SIGXCPU, -signal.SIGKILL):  # RLIMIT_CPU: soft limit signals, hard limit kills
        raise DocumentError(TOO_SLOW.format(s=limits.cpu_seconds))
    if code == _OUT_OF_MEMORY:
        raise DocumentError(TOO_BIG.format(mb=limits.memory_mb))
    raise DocumentError(CRASHED)


_OUT_OF_MEMORY = 3


def _peak_rss() -> int:
    """This process's own peak resident memory, in bytes. Not getrusage's ru_maxrss: Linux carries that
    across exec, so the child would report the API process's peak as its own."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def _child() -> int:
    """The child's side: limit ourselves, read the request, parse, answer."""
    from backend.knowledge.parsing import parse_document  # imported before the memory limit applies

    request = _DECODE.decode(sys.stdin.buffer.read())
    cpu, memory = int(request["cpu_s"]), int(request["memory_mb"]) * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 2))
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    try:
        parsed = parse_document(request["data"], request["filename"], max_bytes=int(request["max_bytes"]))
        chars = sum(len(b.text) for b in parsed.blocks)
        if chars > int(request["max_chars"]):
            raise DocumentError(TOO_MUCH_TEXT.format(chars=chars, limit=int(request["max_chars"])))
        answer: dict[str, Any] = {"ok": parsed}
    except DocumentError as exc:
        # lxml reports a failed allocation as a bare syntax error ("unknown error"): a parse that failed
        # after filling most of the allowed memory failed for want of memory, not because the file is damaged.
        peak = _peak_rss()
        answer = {"error": TOO_BIG.format(mb=memory // 2**20) if peak > 0.6 * memory else exc.reason}
    except MemoryError:
        os._exit(_OUT_OF_MEMORY)  # no room left to build an answer; the exit code says why
    try:
        sys.stdout.buffer.write(_ENCODE.encode(answer))
        sys.stdout.buffer.flush()
    except MemoryError:
        os._exit(_OUT_OF_MEMORY)
    return 0


__all__ = ["Block", "ParseLimits", "parse_isolated"]

if __name__ == "__main__":
    sys.exit(_child())
