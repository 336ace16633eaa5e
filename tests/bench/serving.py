"""Serving apps for benches: one granian command line and one start-and-wait helper for every bench."""

from __future__ import annotations

import contextlib
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def granian_command(target: str, port: int, workers: int = 1, extra: list[str] | None = None) -> list[str]:
    """The same flags for every app a bench serves (and the same as `coachtwin api`)."""
    return [
        sys.executable, "-m", "granian", "--interface", "asgi", "--host", "127.0.0.1", "--port", str(port),
        "--workers", str(workers), "--loop", "uvloop", "--no-access-log", "--log-level", "warning",
        *(extra or []), target,
    ]  # fmt: skip


@contextlib.contextmanager
def serve(
    command: list[str], port: int, env: dict[str, str], ready_path: str, timeout: float = 90
) -> Iterator[subprocess.Popen[bytes]]:
    """Start `command`, wait until `ready_path` answers below 500, stop it afterwards."""
    import httpx

    log = tempfile.NamedTemporaryFile("w+", prefix=f"bench-{port}-", suffix=".log", delete=False)  # noqa: SIM115
    proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=log)
    try:
        deadline = time.time() + timeout
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"{command[-1]} exited: {Path(log.name).read_text()[-2000:]}")
            try:
                if httpx.get(f"http://127.0.0.1:{port}{ready_path}", timeout=2).status_code < 500:
                    break
            except httpx.HTTPError:
                pass
            if time.time() > deadline:
                raise RuntimeError(f"{command[-1]} did not start: {Path(log.name).read_text()[-2000:]}")
            time.sleep(0.2)
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
