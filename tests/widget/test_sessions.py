"""Widget settings and member sessions, through the real app on real PostgreSQL and Redis."""

from __future__ import annotations

import dataclasses
from typing import Any

import asyncpg
from litestar.testing import AsyncTestClient
from redis.asyncio import Redis

from tests.conftest import register_and_login
from tests.fixtures.widget import (
    SITE,
    configure,
    identity_hash,
    open_session,
    rotate_secret,
    visitor_id,
    web_channel,
    widget_member,
)


async def test_settings_read_update_and_roles(client: AsyncTestClient[Any], creator: dict[str, Any]) -> None:
    web = await web_channel(client, creator)
    assert web["public_key"].startswith("pk_") and web["allowed_origins"] == [] and web["require_identity"] is False
    assert set(web) >= {
        "public_key",
        "allowed_origins",
        "require_identity",
        "theme",
        "welcome_message",
        "starter_prompts",
    }
    assert f'data-key="{web["public_key"]}"' in web["snippet"] and "/widget.js" in web["snippet"]
    assert (await web_channel(client, creator))["public_key"] == web["public_key"]  # stable

    out = await configure(
        client,
        creator,
        allowed_origins=["https://Coach.example.com/", "https://*.academy.io"],
        theme={"color": "#AA3300", "position": "left"},
        welcome_message="  Hello, I am your coach.  ",
        starter_prompts=["How do I start?", "How do I start?", "What is a good habit?"],
    )
    assert out["allowed_origins"] == ["https://coach.example.com", "https://*.academy.io"]
    assert out["theme"]["color"] == "#AA3300" and out["theme"]["position"] == "left"
    assert out["welcome_message"] == "Hello, I am your coach."
    assert out["starter_prompts"] == ["How do I start?", "What is a good habit?"]
    # A field left out keeps its value.
    again = await configure(client, creator, require_identity=True)
    assert again["allowed_origins"] == out["allowed_origins"] and again["require_identity"] is True

    h = creator["headers"]
    bad = [
        {"public_key": "pk_mine"},  # cannot be chosen
        {"allowed_origins": ["coach.example.com"]},
        {"allowed_origins": "https://a.com"},
        {"theme": {"color": "red"}},
        {"theme": {"position": "top"}},
        {"theme": {"avatar_url": "javascript:alert(1)"}},
        {"starter_prompts": ["x"] * 7},
        {"unknown": 1},
    ]
    for body in bad:
        r = await client.put("/api/v1/channels/web", headers=h, json=body)
        assert r.status_code in (400, 422), (body, r.status_code, r.text)
        assert set(r.json()) >= {"error", "detail"}
    r = await client.put("/api/v1/channels/web", headers=h, json={"allowed_origins": ["https://a.com", "nope"]})
    assert "allowed_origins[1]" in r.json()["detail"]


async def test_only_admins_change_settings(client: AsyncTestClient[Any], creator: dict[str, Any]) -> None:
    editor = await register_and_login(client, "editor")
    r = await client.post(
        "/api/v1/team/invitations", headers=creator["headers"], json={"email": editor["email"], "role": "editor"}
    )
    assert r.status_code in (200, 201), r.text
    # An editor of another workspace cannot touch this one; a member token cannot read settings.
    stranger = await register_and_login(client, "stranger")
    mine = await web_channel(client, creator)
    theirs = await web_channel(client, stranger)
    assert mine["public_key"] != theirs["public_key"]
    member = await widget_member(client, mine["public_key"], visitor_id=visitor_id())
    assert (await client.get("/api/v1/channels/web", headers=member["headers"])).status_code == 403
    assert (await client.put("/api/v1/channels/web", headers=member["headers"], json={})).status_code == 403
    r = await client.post("/api/v1/channels/web/identity-secret", headers=member["headers"])
    assert r.status_code == 403


async def test_identity_secret_is_shown_once_and_stored_encrypted(
    client: AsyncTestClient[Any],
    creator: dict[str, Any],
    admin_conn: asyncpg.Connection,
) -> None:
    assert (await web_channel(client, creator))["identity_secret_set"] is False
    secret = await rotate_secret(client, creator)
    assert len(secret) >= 32
    web = await web_channel(client, creator)
    assert web["identity_secret_set"] is True and secret not in str(web)
    stored = await admin_conn.fetchval(
        "SELECT identity_secret FROM web_channels WHERE creator_id = $1::uuid", creator["workspace_id"]
    )
    assert stored and secret not in stored and stored.startswith("v1.")
    # A rotated secret replaces the old one: hashes signed with it stop working.
    key = web["public_key"]
    ok = await open_session(client, key, external_id="u-1", identity_hash=identity_hash(secret, "u-1"))
    assert ok.status_code == 201
    newer = await rotate_secret(client, creator)
    assert newer != secret
    old = await open_session(client, key, external_id="u-1", identity_hash=identity_hash(secret, "u-1"))
    assert old.status_code == 401 and old.json()["error"] == "identity_invalid"
    new = await open_session(client, key, external_id="u-1", identity_hash=identity_hash(newer, "u-1"))
    assert new.status_code == 201 and new.json()["member_id"] == ok.json()["member_id"]


async def test_anonymous_and_identified_sessions(client: AsyncTestClient[Any], creator: dict[str, Any]) -> None:
    key = (await web_channel(client, creator))["public_key"]
    # Anonymous: the server makes a visitor id when the widget has none yet; the same one, the same member.
    first = await widget_member(client, key)
    assert first["visitor_id"] and first["identified"] is False and first["expires_in"] > 0
    again = await widget_member(client, key, visitor_id=first["visitor_id"])
    assert again["member_id"] == first["member_id"]
    other = await widget_member(client, key, visitor_id=visitor_id())
    assert other["member_id"] != first["member_id"]
    me = await client.get("/api/v1/me", headers=first["headers"])
    assert me.status_code == 200 and me.json()["member"]["identified"] is False

    secret = await rotate_secret(client, creator)
    signed = {"external_id": "member-42", "identity_hash": identity_hash(secret, "member-42")}
    a = await widget_member(client, key, **signed, display_name="Ana <b>Bold</b>\x07", timezone="Europe/Paris")
    b = await widget_member(client, key, external_id="member-42", identity_hash=signed["identity_hash"].upper())
    assert a["member_id"] == b["member_id"] and a["identified"] is True  # the same external id, the same member
    me = (await client.get("/api/v1/me", headers=a["headers"])).json()
    assert me["member"]["display_name"] == "Ana <b>Bold</b>" and me["member"]["timezone"] == "Europe/Paris"

    wrong = await open_session(client, key, external_id="member-42", identity_hash=identity_hash("guess", "member-42"))
    assert wrong.status_code == 401 and wrong.json()["error"] == "identity_invalid"
    forged = await open_session(client, key, external_id="member-43", identity_hash=signed["identity_hash"])
    assert forged.status_code == 401  # another member's hash
    missing = await open_session(client, key, external_id="member-42")
    assert missing.status_code == 401
    hash_alone = await open_session(client, key, identity_hash=signed["identity_hash"])
    assert hash_alone.status_code == 422


async def test_require_identity(client: AsyncTestClient[Any], creator: dict[str, Any]) -> None:
    key = (await web_channel(client, creator))["public_key"]
    secret = await rotate_secret(client, creator)
    await configure(client, creator, require_identity=True)
    r = await open_session(client, key, visitor_id=visitor_id())
    assert r.status_code == 403 and r.json()["error"] == "identity_required"
    r = await open_session(client, key, external_id="m-1", identity_hash=identity_hash(secret, "m-1"))
    assert r.status_code == 201


async def test_identity_without_a_secret_is_refused(client: AsyncTestClient[Any], creator: dict[str, Any]) -> None:
    key = (await web_channel(client, creator))["public_key"]
    r = await open_session(client, key, external_id="m-1", identity_hash=identity_hash("", "m-1"))
    assert r.status_code == 401 and "identity secret" in r.json()["detail"]


async def test_origins(client: AsyncTestClient[Any], creator: dict[str, Any]) -> None:
    key = (await web_channel(client, creator))["public_key"]
    assert (await open_session(client, key, origin="https://anywhere.example")).status_code == 201  # empty list
    await configure(client, creator, allowed_origins=[SITE, "https://*.academy.io"])
    assert (await open_session(client, key, origin=SITE)).status_code == 201
    assert (await open_session(client, key, origin="https://learn.academy.io")).status_code == 201
    for origin in ("https://evil.example", "null", None, "https://coach.example.com.evil.io"):
        r = await open_session(client, key, origin=origin)
        assert r.status_code == 403 and r.json()["error"] == "origin_not_allowed", origin
    # The chat page inside the iframe and the companion page are served from the API's own origin; the hub's
    # Channels page previews the widget in a document of the hub's origin.
    settings = client.app.state.platform.settings
    assert (await open_session(client, key, origin=settings.public_api_url)).status_code == 201
    assert (await open_session(client, key, origin=settings.public_hub_url)).status_code == 201
    r = await client.get("/api/v1/widget/config", params={"key": key}, headers={"Origin": settings.public_hub_url})
    assert r.status_code == 200
    r = await client.get("/api/v1/widget/config", params={"key": key}, headers={"Origin": "https://evil.example"})
    assert r.status_code == 403
    r = await client.get("/api/v1/widget/config", params={"key": key}, headers={"Origin": SITE})
    assert r.status_code == 200 and set(r.json()) >= {"twin_name", "theme", "welcome_message", "starter_prompts"}


async def test_bad_session_input(client: AsyncTestClient[Any], creator: dict[str, Any]) -> None:
    key = (await web_channel(client, creator))["public_key"]
    assert (await open_session(client, "pk_" + "x" * 24)).status_code == 404  # nobody's key
    assert (await open_session(client, "not a key at all")).status_code == 404
    cases: list[dict[str, Any]] = [
        {"key": key, "unknown": 1},
        {"key": key, "visitor_id": "short"},
        {"key": key, "visitor_id": "<script>alert(1)</script>xxxxxxxx"},
        {"key": key, "timezone": "Mars/Olympus"},
        {"key": key, "display_name": "x" * 201},
        {"key": 5},
        {},
    ]
    for body in cases:
        r = await client.post("/api/v1/widget/sessions", json=body, headers={"Origin": SITE})
        assert r.status_code in (400, 422), (body, r.status_code, r.text)
        assert set(r.json()) >= {"error", "detail"}
    r = await client.post(
        "/api/v1/widget/sessions", content=b"{not json", headers={"Origin": SITE, "Content-Type": "application/json"}
    )
    assert r.status_code == 400


async def test_rate_limits_per_address_and_per_key(client: AsyncTestClient[Any], app: Any) -> None:
    staff = await register_and_login(client, "limits")
    key = (await web_channel(client, staff))["public_key"]
    platform = app.state.platform
    original = platform.settings
    redis = Redis.from_url(original.redis_url)
    await redis.delete("ratelimit:global:widget-ip:testclient")
    try:
        platform.settings = dataclasses.replace(original, widget_limit_per_ip=3)
        codes = [(await open_session(client, key)).status_code for _ in range(4)]
        assert codes == [201, 201, 201, 429]
        r = await client.get("/api/v1/widget/config", params={"key": key})
        assert r.status_code == 429 and int(r.headers["retry-after"]) >= 1
        platform.settings = dataclasses.replace(original, widget_limit_per_key=2)
        await redis.delete("ratelimit:global:widget-ip:testclient")
        codes = [(await open_session(client, key)).status_code for _ in range(1)]
        assert codes == [429]  # this key already opened 4 (one of them refused) this minute
    finally:
        platform.settings = original
        await redis.delete("ratelimit:global:widget-ip:testclient")
        await redis.aclose()
