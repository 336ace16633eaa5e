"""Messaging channel fixtures: fake providers on loopback, a seeded corpus, an admin connection, a platform
with the feature services (its senders use the real HTTP client)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from backend.features import open_services
from backend.lib.platform import Platform
from common.settings import get_settings
from tests.chat.conftest import seneca
from tests.fakes.fake_telegram import FakeTelegram
from tests.programs.conftest import admin_conn

__all__ = ["admin_conn", "seneca"]


@pytest.fixture
async def tg() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram({"111:alpha-token": "alpha_bot", "222:beta-token": "beta_bot"}) as server:
        yield server


@pytest.fixture
async def services_platform(migrated_database: str) -> AsyncIterator[Platform]:
    """A second process's platform (the test's loop), with the services senders use."""
    opened = Platform.open(get_settings())
    open_services(opened)
    yield opened
    await opened.close()


async def connect_telegram(
    client: AsyncTestClient[Any], staff: dict[str, Any], fake: FakeTelegram, token: str
) -> dict[str, Any]:
    r = await client.put(
        "/api/v1/channels/telegram", headers=staff["headers"], json={"bot_token": token, "api_base": fake.url}
    )
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


async def eventually(check: Callable[[], Any], timeout: float = 90.0) -> Any:
    """Poll until `check()` is truthy (the app's in-process worker does the work); its last value."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if asyncio.iscoroutine(value):
            value = await value
        if value or time.monotonic() > deadline:
            return value
        await asyncio.sleep(0.1)
