"""Live delivery: what the platform says reaches the member's open socket (on another app instance than the
one that produced it), only theirs, with the origin checked; the pub/sub hub on its own."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Iterator
from typing import Any

import asyncpg
import pytest
import websockets
from litestar.testing import AsyncTestClient
from redis.asyncio import Redis
from websockets.exceptions import ConnectionClosed

from backend.delivery.live import LiveConnection, LiveHub, member_channel, publish
from common.settings import get_settings
from tests.fixtures.live import serve
from tests.fixtures.widget import SITE, configure, web_channel
from tests.me.test_messages import enrolled_member, outbox_statuses


@pytest.fixture(scope="module")
def live(migrated_database: str) -> Iterator[str]:
    """A second instance of the app on its own port and event loop (its own LiveHub and job workers)."""
    with serve() as address:
        yield address


async def frames_until(ws: Any, done: Any, timeout: float = 5) -> list[dict[str, Any]]:
    seen: list[dict[str, Any]] = []
    async with asyncio.timeout(timeout):
        while not done(seen):
            seen.append(json.loads(await ws.recv()))
    return seen


def socket(live: str, token: str, origin: str | None = SITE) -> Any:
    return websockets.connect(f"ws://{live}/ws/chat?token={token}", origin=origin)  # type: ignore[arg-type]


async def test_pushed_to_the_open_socket_and_only_there(
    client: AsyncTestClient[Any],
    creator: dict[str, Any],
    live: str,
    admin_conn: asyncpg.Connection,
) -> None:
    await configure(client, creator, allowed_origins=[SITE])
    ana = await enrolled_member(client, creator, "ana")  # her greeting and check-in wait in the outbox's history
    ben = await enrolled_member(client, creator, "ben")
    conv = (await client.get("/api/v1/me", headers=ana["headers"])).json()["conversation_id"]
    async with socket(live, ana["token"]) as ws_ana, socket(live, ben["token"]) as ws_ben:
        assert json.loads(await ws_ana.recv())["type"] == "ready"
        assert json.loads(await ws_ben.recv())["type"] == "ready"
        r = await client.post(f"/api/v1/conversations/{conv}/takeover", headers=creator["headers"])
        assert r.status_code == 200
        r = await client.post(
            f"/api/v1/conversations/{conv}/messages", headers=creator["headers"], json={"text": "<b>Hello</b> Ana"}
        )
        assert r.status_code == 201
        seen = await frames_until(ws_ana, lambda s: any(f["type"] == "message" for f in s))
        assert seen[0] == {"type": "takeover", "conversation_id": conv, "active": True, "by": "alice person"}
        pushed = seen[-1]
        assert (
            pushed["role"] == "creator" and pushed["text"] == "<b>Hello</b> Ana" and pushed["author"] == "alice person"
        )
        assert pushed["id"] == r.json()["message"]["id"] and pushed["conversation_id"] == conv
        await client.post(f"/api/v1/conversations/{conv}/release", headers=creator["headers"])
        seen = await frames_until(ws_ana, lambda s: any(f["type"] == "takeover" for f in s))
        assert seen[-1]["active"] is False
        # Ben's socket got none of it (his own program messages may still be arriving).
        await ws_ben.send(json.dumps({"type": "ping"}))
        ben_saw = await frames_until(ws_ben, lambda s: s and s[-1]["type"] == "pong")
        assert all(f["type"] in ("message", "pong") for f in ben_saw)
        assert all(f.get("conversation_id") != conv and f.get("role") != "creator" for f in ben_saw)
    statuses = await outbox_statuses(admin_conn, ana["member_id"])
    assert statuses == ["sent", "sent", "delivered"]  # the creator's reply reached an open socket


async def test_program_steps_arrive_live(client: AsyncTestClient[Any], creator: dict[str, Any], live: str) -> None:
    """A member with the chat open receives the program's greeting and check-in as they are sent."""
    from tests.fixtures.widget import identity_hash, rotate_secret, widget_member
    from tests.programs.conftest import published

    key = (await web_channel(client, creator))["public_key"]
    secret = await rotate_secret(client, creator)
    cid = await widget_member(client, key, external_id="cid", identity_hash=identity_hash(secret, "cid"))
    pid = await published(client, creator)
    async with socket(live, cid["token"]) as ws:
        await ws.recv()  # ready
        r = await client.post(
            f"/api/v1/programs/{pid}/enrollments", headers=creator["headers"], json={"member_id": cid["member_id"]}
        )
        assert r.status_code == 201
        seen = await frames_until(ws, lambda s: len([f for f in s if f["type"] == "message"]) == 2, timeout=3)
    hello, mood = (f for f in seen if f["type"] == "message")
    assert hello["role"] == mood["role"] == "program"
    assert mood["check_in"]["options"] == ["1", "2", "3", "4", "5"]
    history = (await client.get("/api/v1/me/messages", headers=cid["headers"])).json()["messages"]
    assert [m["id"] for m in history] == [hello["id"], mood["id"]]  # the same messages, stored first


async def test_another_workspace_sees_nothing(client: AsyncTestClient[Any], creator: dict[str, Any], live: str) -> None:
    """A member of another workspace with the same external id, socket open while Ana is written to."""
    from tests.conftest import register_and_login

    ana = await enrolled_member(client, creator, "ana-iso")
    stranger = await register_and_login(client, "stranger")
    twin_of_ana = await enrolled_member(client, stranger, "ana-iso")
    conv = (await client.get("/api/v1/me", headers=ana["headers"])).json()["conversation_id"]
    async with socket(live, twin_of_ana["token"], origin=None) as ws:
        assert json.loads(await ws.recv())["type"] == "ready"
        r = await client.post(f"/api/v1/conversations/{conv}/messages", headers=creator["headers"], json={"text": "x"})
        assert r.status_code == 201
        await ws.send(json.dumps({"type": "ping"}))
        seen = await frames_until(ws, lambda s: s and s[-1]["type"] == "pong")
    assert all(f.get("conversation_id") != conv and f.get("role") != "creator" for f in seen)


async def test_bad_frames_on_a_member_socket(client: AsyncTestClient[Any], creator: dict[str, Any], live: str) -> None:
    eli = await enrolled_member(client, creator, "eli")
    async with socket(live, eli["token"], origin=None) as ws:
        assert json.loads(await ws.recv())["type"] == "ready"
        await ws.send(json.dumps({"type": "subscribe", "member_id": "someone-else"}))  # no such frame
        seen = await frames_until(ws, lambda s: s and s[-1]["type"] == "error")
        assert seen[-1]["error"] == "malformed_frame"
        await ws.send("x" * (17 * 1024))
        with pytest.raises(ConnectionClosed) as closed:
            while True:
                await ws.recv()
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 1009


async def test_socket_origin_and_tokens(client: AsyncTestClient[Any], creator: dict[str, Any], live: str) -> None:
    await configure(client, creator, allowed_origins=[SITE])
    dora = await enrolled_member(client, creator, "dora")
    for origin in ("https://evil.example", "null"):
        async with socket(live, dora["token"], origin=origin) as ws:
            first = json.loads(await ws.recv())
            assert first["error"] == "origin_not_allowed"
            with pytest.raises(ConnectionClosed) as closed:
                await ws.recv()
            assert closed.value.rcvd is not None and closed.value.rcvd.code == 4403
    async with socket(live, dora["token"], origin="http://127.0.0.1:8000") as ws:  # the API's own pages
        assert json.loads(await ws.recv())["type"] == "ready"
    async with socket(live, dora["token"], origin=None) as ws:  # not a browser: the token alone decides
        assert json.loads(await ws.recv())["type"] == "ready"
    # Staff sockets (the hub's playground) are not subject to a workspace's widget origins.
    async with socket(live, creator["access_token"], origin=None) as ws:
        assert json.loads(await ws.recv())["type"] == "ready"


async def test_hub_delivers_per_member_and_per_tenant(migrated_database: str) -> None:
    redis = Redis.from_url(get_settings().redis_url, decode_responses=True)
    hub = LiveHub(redis)
    got: dict[str, list[str]] = {"a": [], "a2": [], "b": [], "other_tenant": []}
    arrived = asyncio.Event()

    def sink(name: str) -> Any:
        async def send(text: str) -> None:
            got[name].append(text)
            arrived.set()

        return send

    async def until(done: Any) -> None:
        async with asyncio.timeout(3):
            while not done():
                arrived.clear()
                await arrived.wait()

    tenant, other_tenant, a, b = uuid.uuid4(), uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    conns = {name: LiveConnection(sink(name)) for name in got}
    try:
        await hub.attach(tenant, a, conns["a"])
        await hub.attach(tenant, a, conns["a2"])  # a second tab of the same member
        await hub.attach(tenant, b, conns["b"])
        await hub.attach(other_tenant, a, conns["other_tenant"])  # the same member id under another tenant
        assert await publish(redis, tenant, a, '{"n":1}') == 1
        assert await publish(redis, tenant, a, '{"n":2}', skip=conns["a2"].id) == 1  # not back to its origin
        # Markers last: once they are in, everything published before them has been handed out.
        await publish(redis, tenant, b, '{"end":1}')
        await publish(redis, other_tenant, a, '{"end":1}')
        await until(lambda: len(got["a"]) == 2 and got["b"] and got["other_tenant"])
        assert got == {
            "a": ['{"n":1}', '{"n":2}'],
            "a2": ['{"n":1}'],
            "b": ['{"end":1}'],
            "other_tenant": ['{"end":1}'],
        }
        assert member_channel(tenant, a) != member_channel(other_tenant, a)
        # The last socket of a member gone: the channel is unsubscribed, nothing is received for it.
        await hub.detach(tenant, b, conns["b"])
        # Redis takes the UNSUBSCRIBE a moment after detach returns: the channel's subscriber count reaches 0.
        async with asyncio.timeout(3):
            while (await redis.pubsub_numsub(member_channel(tenant, b)))[0][1]:  # noqa: ASYNC110 - Redis state, no event
                await asyncio.sleep(0.02)
        assert await publish(redis, tenant, b, "{}") == 0
        assert not got["b"][1:]  # and nothing more reached the socket that left
        assert hub.sockets == 3
    finally:
        await hub.aclose()
        await redis.aclose()


@pytest.mark.slow  # the turn starts the query's embedding (the model loads) before it sees the takeover
async def test_held_turns_and_other_tabs(client: AsyncTestClient[Any], creator: dict[str, Any], live: str) -> None:
    """While a creator holds the conversation the twin is silent (`held`); the member's other tab shows the
    message, and the creator's answer reaches both."""
    fay = await enrolled_member(client, creator, "fay")
    conv = (await client.get("/api/v1/me", headers=fay["headers"])).json()["conversation_id"]
    assert (await client.post(f"/api/v1/conversations/{conv}/takeover", headers=creator["headers"])).status_code == 200
    async with socket(live, fay["token"]) as tab_a, socket(live, fay["token"]) as tab_b:
        await tab_a.recv(), await tab_b.recv()  # ready
        await tab_a.send(json.dumps({"type": "message", "text": "Are you there?", "conversation_id": conv,
                                     "client_id": "c-1"}))  # fmt: skip
        seen_a = await frames_until(tab_a, lambda s: any(f["type"] in ("held", "reply") for f in s), timeout=60)
        assert seen_a[-1]["type"] == "held" and not any(f["type"] == "token" for f in seen_a)
        seen_b = await frames_until(tab_b, lambda s: any(f.get("client_id") == "c-1" for f in s))
        mine = next(f for f in seen_b if f.get("client_id") == "c-1")
        assert mine["type"] == "message" and mine["role"] == "member" and mine["text"] == "Are you there?"
        assert mine["id"] == seen_a[-1]["user_message_id"]
        await client.post(f"/api/v1/conversations/{conv}/messages", headers=creator["headers"], json={"text": "Yes!"})
        for tab in (tab_a, tab_b):
            frames = await frames_until(tab, lambda s: any(f.get("role") == "creator" for f in s))
            assert [f["text"] for f in frames if f.get("role") == "creator"] == ["Yes!"]
    history = (await client.get("/api/v1/me/messages", headers=fay["headers"])).json()["messages"]
    assert [m["role"] for m in history][-2:] == ["member", "creator"]  # no twin reply in between
