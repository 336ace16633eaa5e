"""Defect 2: open sockets close within a second when their session ends, whichever worker handled the
revocation. The socket lives on a second server (its own app, platform and listener, like another worker);
the revocations go through the test client's app."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
import websockets
from litestar.testing import AsyncTestClient
from websockets.exceptions import ConnectionClosed

from backend.lib.origins import origin_allowed, socket_origin_allowed
from common.settings import Settings
from tests.auth.test_team import MEMBERS, bearer, join
from tests.conftest import STRONG_PASSWORD
from tests.fixtures.live import serve


@pytest.fixture(scope="module")
def other_worker() -> Iterator[str]:
    with serve() as address:
        yield address


async def _open(address: str, token: str) -> Any:
    ws = await websockets.connect(f"ws://{address}/ws/chat?token={token}")
    assert json.loads(await ws.recv())["type"] == "ready"
    return ws


async def _alive(ws: Any) -> bool:
    await ws.send(json.dumps({"type": "ping"}))
    return bool(json.loads(await asyncio.wait_for(ws.recv(), 5))["type"] == "pong")


async def _closed_within(ws: Any, seconds: float) -> tuple[int, float]:
    """Wait for the server to close the socket; the close code and how long it took."""
    started = time.monotonic()
    frames = []
    with pytest.raises(ConnectionClosed) as closed:
        while True:
            frames.append(json.loads(await asyncio.wait_for(ws.recv(), seconds)))
    took = time.monotonic() - started
    assert frames and frames[-1]["error"] == "not_authenticated", frames
    assert closed.value.rcvd is not None
    return closed.value.rcvd.code, took


async def test_removal_and_role_change_close_sockets(
    client: AsyncTestClient[Any], creator: dict[str, Any], other_worker: str
) -> None:
    editor = await join(client, creator, "editor")
    viewer = await join(client, creator, "viewer")
    editor_ws, viewer_ws = (
        await _open(other_worker, editor["access_token"]),
        await _open(other_worker, viewer["access_token"]),
    )
    owner_ws = await _open(other_worker, creator["access_token"])

    r = await client.delete(f"{MEMBERS}/{editor['user_id']}", headers=creator["headers"])
    assert r.status_code == 204
    code, took = await _closed_within(editor_ws, 1.0)
    assert code == 4401 and took < 1.0

    r = await client.patch(f"{MEMBERS}/{viewer['user_id']}", headers=creator["headers"], json={"role": "editor"})
    assert r.status_code == 200
    code, took = await _closed_within(viewer_ws, 1.0)
    assert code == 4401 and took < 1.0
    # Nobody else's socket was touched.
    assert await _alive(owner_ws)
    await owner_ws.close()


async def test_logout_closes_that_sessions_sockets_only(
    client: AsyncTestClient[Any], creator: dict[str, Any], other_worker: str
) -> None:
    r = await client.post("/api/v1/auth/login", json={"email": creator["email"], "password": STRONG_PASSWORD})
    second = r.json()
    this_ws = await _open(other_worker, creator["access_token"])
    other_ws = await _open(other_worker, second["access_token"])
    r = await client.post(
        "/api/v1/auth/logout", headers=creator["headers"], json={"refresh_token": creator["refresh_token"]}
    )
    assert r.status_code == 204
    code, took = await _closed_within(this_ws, 1.0)
    assert code == 4401 and took < 1.0
    assert await _alive(other_ws)  # the other sign-in goes on
    await other_ws.close()


async def test_staff_revoke_a_members_sessions(
    client: AsyncTestClient[Any], creator: dict[str, Any], other_creator: dict[str, Any], other_worker: str
) -> None:
    r = await client.post(
        "/api/v1/members", headers=creator["headers"], json={"external_id": "m-revoke", "display_name": "Mo"}
    )
    assert r.status_code == 201, r.text
    member_id = r.json()["id"]
    token = (await client.post(f"/api/v1/members/{member_id}/token", headers=creator["headers"])).json()["token"]
    ws = await _open(other_worker, token)
    # Another workspace cannot revoke (or even see) this member.
    r = await client.post(f"/api/v1/members/{member_id}/revoke-sessions", headers=other_creator["headers"])
    assert r.status_code == 404
    assert await _alive(ws)
    r = await client.post(f"/api/v1/members/{member_id}/revoke-sessions", headers=creator["headers"])
    assert r.status_code == 204
    code, took = await _closed_within(ws, 1.0)
    assert code == 4401 and took < 1.0
    assert (await client.get("/api/v1/conversations", headers=bearer(token))).status_code == 401
    # A token issued afterwards works.
    await asyncio.sleep(0.01)  # the cut-off has millisecond resolution
    fresh = (await client.post(f"/api/v1/members/{member_id}/token", headers=creator["headers"])).json()["token"]
    ws = await _open(other_worker, fresh)
    assert await _alive(ws)
    await ws.close()


def test_socket_origins() -> None:
    prod = Settings(env="production", cors_origins=("https://hub.example.com",))
    assert socket_origin_allowed(prod, None)  # not a browser
    assert socket_origin_allowed(prod, "https://hub.example.com")
    assert not socket_origin_allowed(prod, "https://evil.example")
    assert not origin_allowed(prod, "null")
    assert origin_allowed(Settings(env="dev", cors_origins=("*",)), "https://anything.example")
    assert not origin_allowed(Settings(env="production", cors_origins=("*",)), "https://anything.example")
