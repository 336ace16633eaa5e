"""Accounts for benches, made as people make them: register, read the confirmation mail, confirm.

The API under test sends to a loopback SMTP server (`smtp_env()` adds its SMTP_URL to the API's environment).
An API started with WORKER_IN_PROCESS=false runs no jobs: pass its environment as `worker_env` and a
`coachtwin worker` runs while the sign-up is confirmed."""

from __future__ import annotations

import contextlib
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

from tests.bench.serving import ROOT
from tests.fixtures import accounts
from tests.fixtures.smtp import SmtpServer, SmtpSink

_SMTP: list[SmtpServer] = []


def smtp_sink() -> SmtpSink:
    if not _SMTP:
        _SMTP.append(SmtpServer().start())
    return _SMTP[0].sink


def smtp_env() -> dict[str, str]:
    smtp_sink()
    return {"SMTP_URL": _SMTP[0].url, "ACCOUNT_LIMIT_PER_IP": "1000000"}


@contextlib.contextmanager
def _worker(env: dict[str, str] | None) -> Iterator[None]:
    if env is None:
        yield
        return
    proc = subprocess.Popen([sys.executable, "-m", "backend.cli", "worker"], cwd=ROOT, env=env)
    try:
        yield
    finally:
        proc.terminate()
        proc.wait(30)


def sign_up(
    base: str, email: str, password: str, full_name: str, *, sink: SmtpSink | None = None,
    worker_env: dict[str, str] | None = None,
) -> dict[str, Any]:  # fmt: skip
    """The new session (`verify-email`'s answer: tokens, user, workspace)."""
    with _worker(worker_env):
        return accounts.sign_up(base, email, password, full_name, sink or smtp_sink())
