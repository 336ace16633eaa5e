"""A member's own side over REST: history across senders, the member view, takeover, handoff, isolation.

No model is needed: the platform speaks here through a program and a creator (twin replies: test_feedback.py).
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import asyncpg
from litestar.testing import AsyncTestClient

from tests.conftest import register_and_login
from tests.fixtures.widget import identity_hash, rotate_secret, web_channel, widget_member
from tests.programs.conftest import published


async def enrolled_member(client: AsyncTestClient[Any], staff: dict[str, Any], external_id: str) -> dict[str, Any]:
    """A signed-in widget member on the test program: its greeting and mood check-in are in their chat."""
    key = (await web_channel(client, staff))["public_key"]
    secret = staff.get("secret") or await rotate_secret(client, staff)
    staff["secret"] = secret
    member = await widget_member(client, key, external_id=external_id, identity_hash=identity_hash(secret, external_id))
    pid = staff.get("program_id") or await published(client, staff)
    staff["program_id"] = pid
    r = await client.post(
        f"/api/v1/programs/{pid}/enrollments", headers=staff["headers"], json={"member_id": member["member_id"]}
    )
    assert r.status_code == 201, r.text
    member["enrollment_id"] = r.json()["id"]
    return member


async def messages(client: AsyncTestClient[Any], member: dict[str, Any], **params: Any) -> dict[str, Any]:
    r = await client.get("/api/v1/me/messages", headers=member["headers"], params=params)
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


async def outbox_statuses(admin: asyncpg.Connection, member_id: str, settled: bool = True) -> list[str]:
    """The member's outbox rows' statuses, once the delivery jobs have taken them (or after 10 s)."""
    deadline = time.monotonic() + 10
    while True:
        rows = await admin.fetch("SELECT status FROM outbox WHERE member_id = $1::uuid ORDER BY created_at", member_id)
        statuses = [r["status"] for r in rows]
        if not settled or (statuses and "queued" not in statuses) or time.monotonic() > deadline:
            return statuses
        await asyncio.sleep(0.05)


async def test_history_in_order_with_check_in_and_creator(
    client: AsyncTestClient[Any],
    creator: dict[str, Any],
    admin_conn: asyncpg.Connection,
) -> None:
    ana = await enrolled_member(client, creator, "ana")
    body = await messages(client, ana)
    assert [m["role"] for m in body["messages"]] == ["program", "program"] and body["has_more"] is False
    hello, mood = body["messages"]
    assert hello["text"].startswith("Hello") and hello["check_in"] is None
    assert mood["check_in"]["kind"] == "scale" and mood["check_in"]["options"] == ["1", "2", "3", "4", "5"]
    assert mood["check_in"]["enrollment_id"] == ana["enrollment_id"]
    assert set(mood) >= {"id", "role", "text", "created_at", "conversation_id", "channel"}
    # Program messages went through the outbox: nobody had the chat open, so they wait there as `sent`.
    assert await outbox_statuses(admin_conn, ana["member_id"]) == ["sent", "sent"]

    me = (await client.get("/api/v1/me", headers=ana["headers"])).json()
    assert me["program"]["check_in"]["options"] == ["1", "2", "3", "4", "5"]
    assert me["program"]["step"]["type"] == "checkin" and me["program"]["step"]["waiting"] == "answer"
    assert me["conversation_id"] == mood["conversation_id"] and me["takeover"]["active"] is False
    assert me["streak"] == {"current": 0, "best": 0, "today": False}
    assert me["member"]["identified"] is True and me["twin"]["name"]

    # The creator takes over and answers as themselves.
    conv = mood["conversation_id"]
    r = await client.post(f"/api/v1/conversations/{conv}/takeover", headers=creator["headers"])
    assert r.status_code == 200 and r.json()["taken_over"] is True
    assert r.json()["holder"]["name"] == "alice person"
    r = await client.post(
        f"/api/v1/conversations/{conv}/messages", headers=creator["headers"], json={"text": "Hi Ana, it's me."}
    )
    assert r.status_code == 201, r.text
    sent = r.json()
    assert sent["message"]["role"] == "creator" and sent["message"]["author"] == "alice person"
    later = await messages(client, ana, after=mood["id"])
    assert [m["text"] for m in later["messages"]] == ["Hi Ana, it's me."]
    assert later["messages"][0]["author"] == "alice person"
    me = (await client.get("/api/v1/me", headers=ana["headers"])).json()
    assert me["takeover"] == {**me["takeover"], "active": True, "by": "alice person"}
    r = await client.post(f"/api/v1/conversations/{conv}/release", headers=creator["headers"])
    assert r.status_code == 200 and r.json()["taken_over"] is False and r.json()["holder"] is None
    assert await outbox_statuses(admin_conn, ana["member_id"]) == ["sent", "sent", "sent"]

    # Paging: the latest page, then the one before it.
    last = await messages(client, ana, limit=1)
    assert [m["text"] for m in last["messages"]] == ["Hi Ana, it's me."] and last["has_more"] is True
    before = await messages(client, ana, before=last["messages"][0]["id"], limit=5)
    assert [m["role"] for m in before["messages"]] == ["program", "program"] and before["has_more"] is False
    assert (await messages(client, ana, after=last["messages"][0]["id"]))["messages"] == []


async def test_handoff_is_listed_for_the_creator(client: AsyncTestClient[Any], creator: dict[str, Any]) -> None:
    ben = await enrolled_member(client, creator, "ben")
    r = await client.post("/api/v1/me/handoff", headers=ben["headers"], json={"reason": "I need a real person"})
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["message"]["role"] == "twin" and "in person" in out["message"]["text"]
    again = await client.post("/api/v1/me/handoff", headers=ben["headers"])
    assert again.status_code == 200 and again.json()["requested_at"] == out["requested_at"]
    texts = [m["text"] for m in (await messages(client, ben))["messages"]]
    assert texts.count(out["message"]["text"]) == 1  # asking twice writes one acknowledgement
    listed = (await client.get("/api/v1/conversations", headers=creator["headers"], params={"handoff": "true"})).json()
    mine = [c for c in listed if c["id"] == out["conversation_id"]]
    assert mine and mine[0]["handoff_reason"] == "I need a real person"
    # Taking over answers the request.
    await client.post(f"/api/v1/conversations/{out['conversation_id']}/takeover", headers=creator["headers"])
    listed = (await client.get("/api/v1/conversations", headers=creator["headers"], params={"handoff": "true"})).json()
    assert out["conversation_id"] not in [c["id"] for c in listed]
    held = (await client.get("/api/v1/conversations", headers=creator["headers"], params={"taken_over": "true"})).json()
    assert out["conversation_id"] in [c["id"] for c in held]


async def test_a_member_reads_only_their_own(client: AsyncTestClient[Any], creator: dict[str, Any]) -> None:
    cara = await enrolled_member(client, creator, "cara")
    dan = await enrolled_member(client, creator, "dan")
    cara_ids = {m["id"] for m in (await messages(client, cara))["messages"]}
    dan_ids = {m["id"] for m in (await messages(client, dan))["messages"]}
    assert cara_ids and dan_ids and not cara_ids & dan_ids
    # Another member's message as a cursor: as if it did not exist.
    r = await client.get("/api/v1/me/messages", headers=dan["headers"], params={"after": next(iter(cara_ids))})
    assert r.status_code == 404
    r = await client.post(
        "/api/v1/me/feedback", headers=dan["headers"], json={"message_id": next(iter(cara_ids)), "rating": "down"}
    )
    assert r.status_code == 404
    # A member of another workspace, with the same external id.
    stranger = await register_and_login(client, "stranger")
    eve = await enrolled_member(client, stranger, "cara")
    assert eve["member_id"] != cara["member_id"]
    r = await client.get("/api/v1/me/messages", headers=eve["headers"], params={"after": next(iter(cara_ids))})
    assert r.status_code == 404
    assert not {m["id"] for m in (await messages(client, eve))["messages"]} & cara_ids
    # Staff of another workspace cannot take over or write into it.
    conv = (await messages(client, cara))["messages"][0]["conversation_id"]
    for path in ("takeover", "release"):
        assert (
            await client.post(f"/api/v1/conversations/{conv}/{path}", headers=stranger["headers"])
        ).status_code == 404
    r = await client.post(f"/api/v1/conversations/{conv}/messages", headers=stranger["headers"], json={"text": "hi"})
    assert r.status_code == 404
    # Member tokens cannot take over, and staff tokens have no member side.
    assert (await client.post(f"/api/v1/conversations/{conv}/takeover", headers=cara["headers"])).status_code == 403
    assert (await client.get("/api/v1/me/messages", headers=creator["headers"])).status_code == 403
    assert (await client.get("/api/v1/me", headers=creator["headers"])).status_code == 403
    assert (await client.get("/api/v1/me/messages")).status_code == 401


async def test_bad_input(client: AsyncTestClient[Any], creator: dict[str, Any]) -> None:
    fay = await enrolled_member(client, creator, "fay")
    h = fay["headers"]
    assert (await client.get("/api/v1/me/messages", headers=h, params={"after": "nope"})).status_code in (400, 422)
    assert (await client.get("/api/v1/me/messages", headers=h, params={"limit": 0})).status_code in (400, 422)
    assert (await client.get("/api/v1/me/messages", headers=h, params={"limit": 10_000})).status_code in (400, 422)
    mid = (await messages(client, fay))["messages"][0]["id"]
    r = await client.get("/api/v1/me/messages", headers=h, params={"after": mid, "before": mid})
    assert r.status_code == 422
    for body in (
        {"message_id": mid, "rating": "meh"},
        {"message_id": mid},
        {"message_id": mid, "rating": "up", "extra": 1},
        {"message_id": mid, "rating": "up", "comment": "x" * 2001},
    ):
        r = await client.post("/api/v1/me/feedback", headers=h, json=body)
        assert r.status_code in (400, 422), body
    # A program message is not the twin's reply: nothing to rate.
    r = await client.post("/api/v1/me/feedback", headers=h, json={"message_id": mid, "rating": "up"})
    assert r.status_code == 422
    assert (await client.post("/api/v1/me/handoff", headers=h, json={"reason": "x" * 1001})).status_code == 422
    conv = (await messages(client, fay))["messages"][0]["conversation_id"]
    staff = creator["headers"]
    for body in ({"text": ""}, {"text": "   "}, {"text": "x" * 4001}, {"text": "hi", "as": "twin"}, {}):
        r = await client.post(f"/api/v1/conversations/{conv}/messages", headers=staff, json=body)
        assert r.status_code in (400, 422), body
    # The playground is not a member's conversation.
    r = await client.post("/api/v1/conversations/00000000-0000-0000-0000-000000000000/takeover", headers=staff)
    assert r.status_code == 404
