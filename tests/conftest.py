"""Test environment: real PostgreSQL (migrated, RLS forced, app role), real Redis, the real app."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from tests.fixtures import database
from tests.fixtures.smtp import SmtpServer, SmtpSink

WORKER = os.environ.get("PYTEST_XDIST_WORKER", "main")
# Unique per test process: concurrent runs (clones, xdist workers) never drop each other's database.
RUN = f"{WORKER}_{os.getpid()}"
DB_NAME = f"coachtwin_test_{RUN}"
ADMIN_URL, APP_URL = database.urls_for(DB_NAME)
# The loopback SMTP server every mail of the run goes to (started by the `smtp` fixture below).
SMTP = SmtpServer()
OPS_TOKEN = f"ops-{uuid.uuid4().hex}"
OPS = {"Authorization": f"Bearer {OPS_TOKEN}"}


def _redis_url_of_this_run() -> str:
    """A Redis database of this process's own (each run flushes its database at the start).

    TEST_REDIS_URL picks one; xdist workers take the next ones after it (gw0 +0, gw1 +1, ...), so workers of
    one run never share. Without it, a database from the process id spreads concurrent runs over 1..15.
    """
    chosen = os.environ.get("TEST_REDIS_URL")
    base = chosen or os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0"
    prefix, _, db = base.rpartition("/")
    if WORKER.startswith("gw"):
        run_id = int(os.environ.get("PYTEST_XDIST_TESTRUNUID", "0")[:6] or "0", 16)
        start = int(db) if chosen and db.isdigit() else 1 + run_id % 15
        return f"{prefix}/{1 + (start - 1 + int(WORKER[2:])) % 15}"
    return chosen or f"{prefix}/{1 + os.getpid() % 15}"


# The server to build test databases on, kept for xdist workers: they inherit this process's environment,
# in which DATABASE_URL is already the app role's.
os.environ.setdefault("TEST_DATABASE_ADMIN_URL", database.server_url())

# Settings are read once per process: set them before anything imports them.
os.environ.update(
    {
        "APP_ENV": "test",
        "DATABASE_URL": APP_URL,
        "DATABASE_ADMIN_URL": ADMIN_URL,
        # A Redis database and a job queue of this run's own (15 databases to spread concurrent runs).
        "REDIS_URL": _redis_url_of_this_run(),
        "JOB_QUEUE": f"coachtwin-test-{RUN}",
        "LOGIN_LIMIT_PER_IP": "100",  # every test signs in from 127.0.0.1
        "WIDGET_LIMIT_PER_IP": "1000",  # and opens its widget sessions from there (tests/widget lowers it)
        "CHANNEL_API_BASES": "http://127.0.0.1:*",  # the fake Telegram / WhatsApp servers (tests/fakes)
        "ACCOUNT_LIMIT_PER_IP": "100000",  # and signs up from there; limit tests fill the counters themselves
        # Session-scoped fixtures sign in once; on a loaded machine the suite outlives a 5-minute token.
        "ACCESS_TOKEN_TTL": "3600",
        "ARGON2_TIME_COST": "1",
        "ARGON2_MEMORY_COST": "8192",
        "ARGON2_PARALLELISM": "1",
        "LOG_JSON": "false",
        "LOG_LEVEL": "WARNING",
        "OLLAMA_URL": "http://127.0.0.1:9",  # nothing listens: extractive mode unless a test starts a fake
        "SMTP_URL": SMTP.url,
        "OPS_TOKEN": OPS_TOKEN,  # /metrics and /health/ready's details
    }
)
os.environ["DATA_DIR"] = os.environ.get("TEST_DATA_DIR") or f"/tmp/coachtwin-test-{RUN}"


@pytest.fixture(scope="session", autouse=True)
def migrated_database() -> Iterator[str]:
    from common.settings import get_settings

    get_settings.cache_clear()
    database.build(DB_NAME)
    import shutil

    import redis

    shutil.rmtree(os.environ["DATA_DIR"], ignore_errors=True)  # the embedded Chroma of the last run

    redis.Redis.from_url(os.environ["REDIS_URL"]).flushdb()
    yield APP_URL
    database.drop(DB_NAME)
    shutil.rmtree(os.environ["DATA_DIR"], ignore_errors=True)


@pytest.fixture(scope="session", autouse=True)
def smtp_server() -> Iterator[SmtpServer]:
    SMTP.start()
    yield SMTP
    SMTP.stop()


@pytest.fixture
def mailbox(smtp_server: SmtpServer) -> SmtpSink:
    """What the loopback SMTP server received (wait for a message with `await mailbox.await_message(to)`)."""
    return smtp_server.sink


@pytest.fixture
async def platform(migrated_database: str) -> AsyncIterator[Any]:
    """A platform of the test's own event loop (the app's lives in the test client's loop and thread)."""
    from backend.features import open_platform

    opened = open_platform()
    yield opened
    await opened.close()


@pytest.fixture(scope="session")
async def app(migrated_database: str) -> AsyncIterator[Any]:
    from backend.app import create_app

    application = create_app()
    yield application


@pytest.fixture
async def client(app: Any) -> AsyncIterator[AsyncTestClient[Any]]:
    async with AsyncTestClient(app=app) as c:
        yield c


STRONG_PASSWORD = "Correct-Horse-42"


def unique_email(prefix: str = "user") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}@example.com"


def token_of(link: str) -> str:
    """The `token` query parameter of an emailed link."""
    from urllib.parse import parse_qs, urlsplit

    return parse_qs(urlsplit(link).query)["token"][0]


async def signup(
    client: AsyncTestClient[Any], email: str, password: str = STRONG_PASSWORD, full_name: str = "A person", **extra: Any
) -> dict[str, Any]:
    """Sign up as a person does: register (202), open the emailed link, confirm. Returns the new session."""
    sent = len(SMTP.sink.to(email))
    r = await client.post(
        "/api/v1/auth/register", json={"email": email, "password": password, "full_name": full_name, **extra}
    )
    assert r.status_code == 202, r.text
    mail = await SMTP.sink.await_message(email, count=sent + 1)
    r = await client.post("/api/v1/auth/verify-email", json={"token": token_of(mail.link("/verify-email"))})
    assert r.status_code == 201, r.text
    return dict(r.json())


async def register_and_login(client: AsyncTestClient[Any], prefix: str = "creator") -> dict[str, Any]:
    email = unique_email(prefix)
    body = await signup(client, email, full_name=f"{prefix} person")
    r = await client.post("/api/v1/auth/login", json={"email": email, "password": STRONG_PASSWORD})
    assert r.status_code == 200, r.text
    tokens = r.json()
    return {
        "email": email,
        "user_id": body["user"]["id"],
        "workspace_id": body["workspace_id"],
        "headers": {"Authorization": f"Bearer {tokens['access_token']}"},
        **tokens,
    }


@pytest.fixture
async def creator(client: AsyncTestClient[Any]) -> dict[str, Any]:
    return await register_and_login(client, "alice")


@pytest.fixture
async def other_creator(client: AsyncTestClient[Any]) -> dict[str, Any]:
    return await register_and_login(client, "bob")
