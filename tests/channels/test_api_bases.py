"""A creator's `api_base` is an address the server calls: only the official servers and those the operator
allows (`CHANNEL_API_BASES`) are accepted, so a workspace cannot make the API probe internal addresses."""

from __future__ import annotations

from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from backend.channels.api_bases import api_base
from backend.lib.errors import InvalidInput
from common.settings import Settings
from tests.conftest import register_and_login
from tests.fakes.fake_telegram import FakeTelegram

INTERNAL = ["http://169.254.169.254", "http://127.0.0.2:6379", "http://localhost:5432", "https://evil.example"]


def test_only_official_or_allowed_servers() -> None:
    strict = Settings(channel_api_bases=())
    assert api_base(strict, None, "https://api.telegram.org") == "https://api.telegram.org"
    assert api_base(strict, "https://api.telegram.org/", "https://api.telegram.org") == "https://api.telegram.org"
    for bad in ["http://127.0.0.1:8081", *INTERNAL]:
        with pytest.raises(InvalidInput, match="api_base"):
            api_base(strict, bad, "https://api.telegram.org")
    local = Settings(channel_api_bases=("http://127.0.0.1:*", "https://bots.coach.example"))
    assert api_base(local, "http://127.0.0.1:8081", "https://api.telegram.org") == "http://127.0.0.1:8081"
    assert api_base(local, "https://bots.coach.example", "https://api.telegram.org") == "https://bots.coach.example"
    for bad in ["http://127.0.0.1:8081/x/../admin", "https://127.0.0.1:8081", *INTERNAL]:
        with pytest.raises(InvalidInput):
            api_base(local, bad, "https://api.telegram.org")


async def test_connecting_to_an_internal_address_is_refused_and_nothing_is_called(
    client: AsyncTestClient[Any], tg: FakeTelegram
) -> None:
    staff = await register_and_login(client, "ssrf")
    for base in INTERNAL:
        r = await client.put(
            "/api/v1/channels/telegram",
            headers=staff["headers"],
            json={"bot_token": "111:alpha-token", "api_base": base},
        )
        assert r.status_code == 422 and "api_base" in r.json()["detail"], r.text
        body = {
            "phone_number_id": "123",
            "access_token": "t",
            "app_secret": "s",
            "verify_token": "verify-token",
            "api_base": base,
        }
        r = await client.put("/api/v1/channels/whatsapp", headers=staff["headers"], json=body)
        assert r.status_code == 422 and "api_base" in r.json()["detail"], r.text
    assert (await client.get("/api/v1/channels/telegram", headers=staff["headers"])).json()["connected"] is False
    assert (await client.get("/api/v1/channels/whatsapp", headers=staff["headers"])).json()["connected"] is False
    assert tg.requests == []
