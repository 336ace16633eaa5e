"""One member per person: an anonymous visitor who signs in is merged into their member, history kept."""

from __future__ import annotations

from typing import Any

import asyncpg
from litestar.testing import AsyncTestClient

from tests.fixtures.widget import identity_hash, rotate_secret, visitor_id, web_channel, widget_member
from tests.programs.conftest import published


async def texts(client: AsyncTestClient[Any], member: dict[str, Any]) -> list[str]:
    r = await client.get("/api/v1/me/messages", headers=member["headers"])
    assert r.status_code == 200, r.text
    return [m["text"] for m in r.json()["messages"]]


async def test_visitor_who_signs_in_keeps_their_history(
    client: AsyncTestClient[Any],
    creator: dict[str, Any],
    admin_conn: asyncpg.Connection,
) -> None:
    key = (await web_channel(client, creator))["public_key"]
    secret = await rotate_secret(client, creator)
    visitor = visitor_id()
    anon = await widget_member(client, key, visitor_id=visitor, display_name="Curious visitor", timezone="Asia/Tokyo")
    r = await client.post("/api/v1/me/handoff", headers=anon["headers"], json={"reason": "pricing"})
    assert r.status_code == 200
    said = await texts(client, anon)
    assert len(said) == 1

    # The site signs the visitor in: same browser (visitor id), a verified external id.
    signed = await widget_member(
        client, key, visitor_id=visitor, external_id="u-77", identity_hash=identity_hash(secret, "u-77")
    )
    assert signed["member_id"] != anon["member_id"] and signed["identified"] is True
    assert await texts(client, signed) == said  # the conversation came along
    me = (await client.get("/api/v1/me", headers=signed["headers"])).json()
    assert me["member"]["display_name"] == "Curious visitor" and me["member"]["timezone"] == "Asia/Tokyo"
    # The anonymous member is gone, and so are its tokens.
    assert await admin_conn.fetchval("SELECT count(*) FROM members WHERE id = $1::uuid", anon["member_id"]) == 0
    assert (await client.get("/api/v1/me/messages", headers=anon["headers"])).status_code == 401
    rows = await admin_conn.fetch(
        "SELECT kind, value FROM member_identities WHERE member_id = $1::uuid", signed["member_id"]
    )
    assert [(r["kind"], r["value"]) for r in rows] == [("web_visitor", visitor)]

    # Signed out on the site, the widget forgot nobody: the same visitor id does not open the member.
    after = await widget_member(client, key, visitor_id=visitor)
    assert after["member_id"] != signed["member_id"] and after["identified"] is False
    assert await texts(client, after) == []
    # Signing in again from that browser: back to the same member (the new anonymous one was empty).
    back = await widget_member(
        client, key, visitor_id=visitor, external_id="u-77", identity_hash=identity_hash(secret, "u-77")
    )
    assert back["member_id"] == signed["member_id"] and await texts(client, back) == said


async def test_merge_into_a_member_with_history_and_programs(
    client: AsyncTestClient[Any],
    creator: dict[str, Any],
    admin_conn: asyncpg.Connection,
) -> None:
    key = (await web_channel(client, creator))["public_key"]
    secret = await rotate_secret(client, creator)
    pid = await published(client, creator)
    known = await widget_member(client, key, external_id="u-9", identity_hash=identity_hash(secret, "u-9"))
    r = await client.post(
        f"/api/v1/programs/{pid}/enrollments", headers=creator["headers"], json={"member_id": known["member_id"]}
    )
    assert r.status_code == 201
    visitor = visitor_id()
    anon = await widget_member(client, key, visitor_id=visitor)
    r = await client.post(
        f"/api/v1/programs/{pid}/enrollments", headers=creator["headers"], json={"member_id": anon["member_id"]}
    )
    assert r.status_code == 201  # both follow the same program
    await client.post("/api/v1/me/handoff", headers=anon["headers"])
    before_known, before_anon = await texts(client, known), await texts(client, anon)

    merged = await widget_member(
        client, key, visitor_id=visitor, external_id="u-9", identity_hash=identity_hash(secret, "u-9")
    )
    assert merged["member_id"] == known["member_id"]
    assert sorted(await texts(client, merged)) == sorted(before_known + before_anon)
    running = await admin_conn.fetchval(
        "SELECT count(*) FROM program_enrollments WHERE member_id = $1::uuid AND status IN ('active','paused')",
        known["member_id"],
    )
    assert running == 1  # one running enrollment per program: the member's own stays


async def test_an_identified_member_is_never_merged_into_another(
    client: AsyncTestClient[Any], creator: dict[str, Any]
) -> None:
    """A shared computer: A signed in, then B signs in from the same browser. B never gets A's history."""
    key = (await web_channel(client, creator))["public_key"]
    secret = await rotate_secret(client, creator)
    visitor = visitor_id()
    a = await widget_member(client, key, visitor_id=visitor, external_id="a", identity_hash=identity_hash(secret, "a"))
    await client.post("/api/v1/me/handoff", headers=a["headers"])
    b = await widget_member(client, key, visitor_id=visitor, external_id="b", identity_hash=identity_hash(secret, "b"))
    assert b["member_id"] != a["member_id"]
    assert await texts(client, b) == []
    assert len(await texts(client, a)) == 1  # A keeps theirs (and their token still works)
