"""Start the API and the built creator hub for browser suites and benches (tests/bench/builder_bench.py).

The API runs on embedded PostgreSQL and Redis inside a temporary DATA_DIR; the hub is built once
(`reflex run --env prod --single-port`) and talks to that API. Set E2E_HUB_URL and E2E_API_URL to use
servers you started yourself.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from tests.fixtures.smtp import SmtpServer, SmtpSink

ROOT = Path(__file__).resolve().parent.parent
SHOTS = Path(__file__).resolve().parent / "screenshots"
# Variables a test session may have set for its own database; the servers here use embedded services.
_STRIP = ("DATABASE_URL", "DATABASE_ADMIN_URL", "REDIS_URL", "CHROMA_URL", "DATA_DIR", "API_PORT", "HUB_PORT")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_http(url: str, proc: subprocess.Popen[bytes], timeout: float, log: Path) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{url} exited early ({proc.returncode}); log:\n{log.read_text()[-4000:]}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(url, timeout=2).status_code < 500:
                return
        time.sleep(0.3)
    raise RuntimeError(f"{url} did not come up in {timeout:.0f}s; log:\n{log.read_text()[-4000:]}")


def stop(proc: subprocess.Popen[bytes]) -> None:
    """Stop a server we started (its own process group) and wait for it."""
    if proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=5)


def stop_embedded_redis(data_dir: Path) -> None:
    """The API's embedded redis-server outlives the API by design (it is reused); this one was ours."""
    sock = data_dir / "redis" / "redis.sock"
    if not sock.exists():
        return
    import redis

    with contextlib.suppress(redis.RedisError, OSError):
        redis.Redis(unix_socket_path=str(sock), socket_timeout=5).shutdown(nosave=True)


def hub_env(api_url: str, port: int) -> dict[str, str]:
    """The hub's environment: bun from .tools, telemetry off, caches inside the project."""
    env = {k: v for k, v in os.environ.items() if k not in _STRIP}
    tools_bin = ROOT / ".tools" / "node_modules" / ".bin"
    env.update(
        PATH=f"{tools_bin}{os.pathsep}{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
        REFLEX_USE_SYSTEM_BUN="1",
        REFLEX_TELEMETRY_ENABLED="false",
        BUN_RUNTIME_TRANSPILER_CACHE_PATH=str(ROOT / ".bun-cache"),
        PUBLIC_API_URL=api_url,
        HUB_PORT=str(port),
    )
    return env


AXE_JS = ROOT / ".tools" / "node_modules" / "axe-core" / "axe.min.js"


def ensure_bun() -> None:
    """Bun (the hub's build) and axe-core (the accessibility checks), installed by `.ci/setup.py` when missing."""
    if (ROOT / ".tools" / "node_modules" / ".bin" / "bun").exists() and AXE_JS.exists():
        return
    import importlib.util

    spec = importlib.util.spec_from_file_location("ci_setup", ROOT / ".ci" / "setup.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.hub_toolchain()


@dataclass
class Servers:
    api_url: str
    hub_url: str
    metrics: dict[str, Any] = field(default_factory=dict)
    # The loopback SMTP server the API sends to (None for servers started by hand: use their dev mailbox).
    mail: SmtpSink | None = None
    # The API's environment, for a command run against the same services (None for servers started by hand).
    env: dict[str, str] | None = None

    def record(self, name: str, value: Any) -> None:
        self.metrics[name] = value
        SHOTS.mkdir(exist_ok=True)
        (SHOTS / "metrics.json").write_text(json.dumps(self.metrics, indent=2))


@contextlib.contextmanager
def running_servers() -> Iterator[Servers]:
    """The API (embedded PostgreSQL and Redis in a temporary DATA_DIR) and the built hub, on free ports;
    or the servers named by E2E_API_URL and E2E_HUB_URL."""
    if os.environ.get("E2E_HUB_URL") and os.environ.get("E2E_API_URL"):
        yield Servers(os.environ["E2E_API_URL"].rstrip("/"), os.environ["E2E_HUB_URL"].rstrip("/"))
        return
    ensure_bun()
    data_dir = Path(tempfile.mkdtemp(prefix="coachtwin-e2e-"))
    api_port, hub_port = free_port(), free_port()
    api_url, hub_url = f"http://127.0.0.1:{api_port}", f"http://127.0.0.1:{hub_port}"
    api_env = {k: v for k, v in os.environ.items() if k not in _STRIP}
    api_env.update(
        APP_ENV="test",
        DATA_DIR=str(data_dir),
        API_PORT=str(api_port),
        LOG_JSON="false",
        LOG_LEVEL="WARNING",
        # Many sign-ins from one address in a few minutes: lift the rate limits, cheapen argon2.
        LOGIN_LIMIT_PER_IP="10000",
        LOGIN_LIMIT_PER_EMAIL="10000",
        ARGON2_TIME_COST="1",
        ARGON2_MEMORY_COST="8192",
        ARGON2_PARALLELISM="1",
        CHANNEL_API_BASES="http://127.0.0.1:*",  # the fake Telegram / WhatsApp servers
        # Every widget page load of the suites comes from 127.0.0.1.
        WIDGET_LIMIT_PER_IP="100000",
        WIDGET_LIMIT_PER_KEY="100000",
        OLLAMA_URL="http://127.0.0.1:9",
        HF_HUB_OFFLINE="1",
        TRANSFORMERS_OFFLINE="1",
        ANONYMIZED_TELEMETRY="False",
    )
    smtp = SmtpServer().start()  # a real SMTP server on loopback: sign-up links and invitations arrive here
    api_env.update(SMTP_URL=smtp.url, PUBLIC_HUB_URL=hub_url, ACCOUNT_LIMIT_PER_IP="100000")
    api_log, hub_log = data_dir / "api.log", data_dir / "hub.log"
    procs: list[subprocess.Popen[bytes]] = []
    try:
        with api_log.open("wb") as out:
            procs.append(
                subprocess.Popen(
                    [sys.executable, "-m", "backend.cli", "api"],
                    cwd=ROOT, env=api_env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
                )
            )  # fmt: skip
        started = time.monotonic()
        with hub_log.open("wb") as out:
            procs.append(
                subprocess.Popen(
                    [sys.executable, "-m", "reflex", "run", "--env", "prod", "--single-port", "--loglevel", "info"],
                    cwd=ROOT, env=hub_env(api_url, hub_port), stdout=out, stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            )  # fmt: skip
        wait_http(f"{api_url}/health", procs[0], 120, api_log)
        wait_http(f"{hub_url}/ping", procs[1], 300, hub_log)
        wait_http(f"{hub_url}/login", procs[1], 60, hub_log)
        result = Servers(api_url, hub_url, mail=smtp.sink, env=api_env)
        result.record("hub_build_and_start_seconds", round(time.monotonic() - started, 1))
        yield result
    finally:
        for proc in reversed(procs):
            stop(proc)
        smtp.stop()
        stop_embedded_redis(data_dir)
        shutil.rmtree(data_dir, ignore_errors=True)
