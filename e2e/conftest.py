"""Playwright suites of the creator hub: start the API and the hub once per session, on free ports.

The API runs on embedded PostgreSQL and Redis inside a temporary DATA_DIR; the hub is built once
(`reflex run --env prod --single-port`) and talks to that API. Chromium is Debian's, at /usr/bin/chromium.
Set E2E_HUB_URL and E2E_API_URL to run the suites against servers you started yourself.
Screenshots of each page land in e2e/screenshots/ (git-ignored; CI keeps the folder).
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
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

ROOT = Path(__file__).resolve().parent.parent
SHOTS = Path(__file__).resolve().parent / "screenshots"
CHROMIUM = os.environ.get("E2E_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
PASSWORD = "correct-horse-battery"
# Variables a test session may have set for its own database; the servers here use embedded services.
_STRIP = ("DATABASE_URL", "DATABASE_ADMIN_URL", "REDIS_URL", "CHROMA_URL", "DATA_DIR", "API_PORT", "HUB_PORT")

expect.set_options(timeout=15_000)


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


def ensure_bun() -> None:
    if (ROOT / ".tools" / "node_modules" / ".bin" / "bun").exists():
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

    def record(self, name: str, value: Any) -> None:
        self.metrics[name] = value
        SHOTS.mkdir(exist_ok=True)
        (SHOTS / "metrics.json").write_text(json.dumps(self.metrics, indent=2))


@pytest.fixture(scope="session")
def servers() -> Iterator[Servers]:
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
        OLLAMA_URL="http://127.0.0.1:9",
        HF_HUB_OFFLINE="1",
        TRANSFORMERS_OFFLINE="1",
        ANONYMIZED_TELEMETRY="False",
    )
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
        result = Servers(api_url, hub_url)
        result.record("hub_build_and_start_seconds", round(time.monotonic() - started, 1))
        yield result
    finally:
        for proc in reversed(procs):
            stop(proc)
        stop_embedded_redis(data_dir)
        shutil.rmtree(data_dir, ignore_errors=True)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict[str, Any], servers: Servers) -> dict[str, Any]:
    return {**browser_context_args, "base_url": servers.hub_url, "viewport": {"width": 1280, "height": 860}}


@pytest.fixture
def api(servers: Servers) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=servers.api_url, timeout=30) as client:
        yield client


@dataclass
class Creator:
    email: str
    name: str
    workspace: str
    password: str = PASSWORD


def new_creator(prefix: str = "creator") -> Creator:
    tag = uuid.uuid4().hex[:8]
    return Creator(f"{prefix}-{tag}@example.com", f"{prefix.title()} {tag}", f"{prefix.title()} Studio {tag}")


def register(api: httpx.Client, creator: Creator) -> dict[str, Any]:
    r = api.post(
        "/api/v1/auth/register",
        json={"email": creator.email, "password": creator.password, "full_name": creator.name,
              "workspace_name": creator.workspace},
    )  # fmt: skip
    assert r.status_code == 201, r.text
    return dict(r.json())


def token_for(api: httpx.Client, creator: Creator) -> str:
    r = api.post("/api/v1/auth/login", json={"email": creator.email, "password": creator.password})
    assert r.status_code == 200, r.text
    return str(r.json()["access_token"])


def sign_in(page: Page, creator: Creator, path: str = "/login") -> None:
    page.goto(path)
    page.locator("input[name=email]").fill(creator.email)
    page.locator("input[name=password]").fill(creator.password)
    page.get_by_test_id("sign-in-submit").click()


def sign_up(page: Page, creator: Creator) -> None:
    page.goto("/signup")
    page.locator("input[name=full_name]").fill(creator.name)
    page.locator("input[name=email]").fill(creator.email)
    page.locator("input[name=password]").fill(creator.password)
    page.locator("input[name=workspace_name]").fill(creator.workspace)
    page.get_by_test_id("sign-up-submit").click()


def shot(page: Page, name: str) -> None:
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


@pytest.fixture
def second_context(browser: Browser, browser_context_args: dict[str, Any]) -> Iterator[BrowserContext]:
    context = browser.new_context(**browser_context_args)
    yield context
    context.close()
