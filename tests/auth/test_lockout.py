"""Defect 6: failed sign-ins lock out unknown devices only; a browser that signed in before keeps working."""

from __future__ import annotations

from typing import Any

from litestar.testing import AsyncTestClient

from tests.auth.test_team import _reset_login_ip_limit  # noqa: F401 (autouse: a fresh per-IP sign-in budget)
from tests.conftest import STRONG_PASSWORD, register_and_login

LOGIN = "/api/v1/auth/login"


async def _login(client: AsyncTestClient[Any], email: str, password: str, **extra: Any) -> Any:
    return await client.post(LOGIN, json={"email": email, "password": password, **extra})


async def test_strangers_failures_do_not_lock_out_a_known_device(client: AsyncTestClient[Any]) -> None:
    owner = await register_and_login(client, "known")
    device = owner["device_token"]
    assert device and client.cookies.get("ct_device") == device
    limit = client.app.state.platform.settings.login_limit_per_email

    client.cookies.clear()  # the stranger: another browser, no cookie
    for _ in range(limit):
        assert (await _login(client, owner["email"], "Wrong-Password-1")).status_code == 401
    locked = await _login(client, owner["email"], STRONG_PASSWORD)
    assert locked.status_code == 429 and "new devices" in locked.json()["detail"]

    # The owner's browser: by its device token (a server-side client such as the hub) ...
    r = await _login(client, owner["email"], STRONG_PASSWORD, device_token=device)
    assert r.status_code == 200, r.text
    # ... or by its cookie.
    client.cookies.clear()
    client.cookies.set("ct_device", device, path="/api/v1/auth")
    assert (await _login(client, owner["email"], STRONG_PASSWORD)).status_code == 200

    # Another account's device token is no key to this one; a forged one neither.
    other = await register_and_login(client, "other-known")
    client.cookies.clear()
    for token in (other["device_token"], device[:-2] + "xx"):
        r = await _login(client, owner["email"], STRONG_PASSWORD, device_token=token)
        assert r.status_code == 429


async def test_a_known_device_that_keeps_failing_locks_only_itself(client: AsyncTestClient[Any]) -> None:
    owner = await register_and_login(client, "own-failures")
    limit = client.app.state.platform.settings.login_limit_per_email
    first = owner["device_token"]
    client.cookies.clear()
    second = (await _login(client, owner["email"], STRONG_PASSWORD)).json()["device_token"]
    client.cookies.clear()
    for _ in range(limit):
        assert (await _login(client, owner["email"], "Wrong-Password-1", device_token=first)).status_code == 401
    r = await _login(client, owner["email"], STRONG_PASSWORD, device_token=first)
    assert r.status_code == 429 and int(r.headers["retry-after"]) >= 1
    # Its sibling device and unknown devices still sign in.
    assert (await _login(client, owner["email"], STRONG_PASSWORD, device_token=second)).status_code == 200
    assert (await _login(client, owner["email"], STRONG_PASSWORD)).status_code == 200
