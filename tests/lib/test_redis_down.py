"""Defect 8: with Redis down, requests answer 503 with Retry-After (never 500), and recover by themselves
once Redis is back. A real redis-server of this test's own is stopped and started again."""

from __future__ import annotations

import dataclasses
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from litestar.testing import AsyncTestClient

from common.settings import get_settings
from tests.conftest import STRONG_PASSWORD, unique_email
from tests.fixtures.live import free_port

pytestmark = pytest.mark.skipif(shutil.which("redis-server") is None, reason="needs redis-server")


class RedisProcess:
    def __init__(self, folder: Path) -> None:
        self.port, self.folder = free_port(), folder
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self.folder)],
            stdout=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 10
        while True:
            try:
                if redis.Redis(port=self.port, socket_timeout=1).ping():
                    return
            except redis.ConnectionError:
                assert time.monotonic() < deadline, "redis-server did not start"
                time.sleep(0.05)

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(10)
            self.proc = None


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[RedisProcess]:
    server = RedisProcess(tmp_path)
    server.start()
    yield server
    server.stop()


def _unavailable(r: Any) -> None:
    assert r.status_code == 503, (r.status_code, r.text)
    assert r.json()["error"] == "unavailable" and int(r.headers["retry-after"]) >= 1


async def test_redis_down_answers_503_then_recovers(own_redis: RedisProcess, tmp_path: Path) -> None:
    from backend.app import create_app
    from tests.conftest import SMTP, token_of

    settings = dataclasses.replace(get_settings(), redis_url=own_redis.url, data_dir=tmp_path / "data")
    async with AsyncTestClient(app=create_app(settings)) as client:
        email = unique_email("redis-down")
        body = {"email": email, "password": STRONG_PASSWORD, "full_name": "R"}
        assert (await client.post("/api/v1/auth/register", json=body)).status_code == 202
        link = (await SMTP.sink.await_message(email)).link("/verify-email")
        session = (await client.post("/api/v1/auth/verify-email", json={"token": token_of(link)})).json()
        headers = {"Authorization": f"Bearer {session['access_token']}"}
        assert (await client.get("/api/v1/workspace", headers=headers)).status_code == 200

        own_redis.stop()
        _unavailable(await client.get("/api/v1/workspace", headers=headers))
        _unavailable(await client.post("/api/v1/auth/login", json={"email": email, "password": STRONG_PASSWORD}))
        _unavailable(await client.post("/api/v1/auth/register", json={**body, "email": unique_email("r2")}))
        files = {"file": ("note.txt", b"Some text to keep.", "text/plain")}
        _unavailable(await client.post("/api/v1/knowledge/documents", headers=headers, files=files))
        _unavailable(await client.post("/api/v1/auth/password-reset", json={"email": email}))

        own_redis.start()  # same port, empty: the clients reconnect by themselves
        assert (await client.get("/api/v1/workspace", headers=headers)).status_code == 200
        r = await client.post("/api/v1/auth/login", json={"email": email, "password": STRONG_PASSWORD})
        assert r.status_code == 200, r.text
