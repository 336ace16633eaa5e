"""Bad input over HTTP: every refusal is a clear 4xx JSON `{error, detail}` and writes nothing."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import uuid
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import jwt
import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy.engine import make_url

from tests.auth.test_team import _reset_login_ip_limit, bearer
from tests.conftest import ADMIN_URL, SMTP, STRONG_PASSWORD, register_and_login, signup, unique_email

__all__ = ["_reset_login_ip_limit"]  # autouse: keeps this module's sign-ins out of the per-IP budget

REGISTER = "/api/v1/auth/register"
LOGIN = "/api/v1/auth/login"
MAX_BODY = 1024 * 1024


def assert_error(r: Any, status: int | tuple[int, ...], code: str | None = None) -> dict[str, Any]:
    statuses = (status,) if isinstance(status, int) else status
    assert r.status_code in statuses, f"{r.status_code} {r.text[:300]}"
    assert r.headers["content-type"].startswith("application/json")
    body: dict[str, Any] = r.json()
    assert isinstance(body.get("error"), str) and body["error"], body
    assert isinstance(body.get("detail"), str) and body["detail"], body
    if code:
        assert body["error"] == code, body
    return body


@pytest.fixture
async def admin_db() -> AsyncIterator[asyncpg.Connection]:
    conn = await asyncpg.connect(make_url(ADMIN_URL).set(drivername="postgresql").render_as_string(False))
    yield conn
    await conn.close()


async def counts(conn: asyncpg.Connection) -> dict[str, int]:
    """Row counts seen by the owner role (not filtered by RLS)."""
    tables = ("creators", "users", "memberships", "refresh_tokens", "invitations")
    return {t: int(await conn.fetchval(f"SELECT count(*) FROM {t}")) for t in tables}


def _valid(**over: Any) -> dict[str, Any]:
    return {"email": unique_email("bad"), "password": STRONG_PASSWORD, "full_name": "Bad Input", **over}


# ---- bodies ------------------------------------------------------------------------------------


async def test_bad_registration_bodies_are_refused_and_write_nothing(
    client: AsyncTestClient[Any], admin_db: asyncpg.Connection
) -> None:
    before = await counts(admin_db)
    raw = {"Content-Type": "application/json"}
    cases: list[tuple[dict[str, Any], int | tuple[int, ...], str | None]] = [
        ({"content": b'{"email": "a@b.co", "password": ', "headers": raw}, 400, "malformed_body"),
        ({"content": b"not json at all", "headers": raw}, 400, "malformed_body"),
        ({"content": b"", "headers": raw}, 400, "malformed_body"),
        ({"content": b"[]", "headers": raw}, (400, 422), None),
        ({"content": b"null", "headers": raw}, (400, 422), None),
        ({"content": b'"a string"', "headers": raw}, (400, 422), None),
        ({"content": b"\xff\xfe\x00garbage", "headers": raw}, 400, "malformed_body"),
        ({"json": _valid(email=123)}, (400, 422), None),
        ({"json": _valid(password=["Correct-Horse-42"])}, (400, 422), None),
        ({"json": _valid(full_name={"first": "x"})}, (400, 422), None),
        ({"json": _valid(email="not-an-email")}, (400, 422), None),
        ({"json": _valid(full_name="")}, (400, 422), None),
        ({"json": _valid(full_name="x" * 201)}, (400, 422), None),
        ({"json": _valid(password="x" * 300)}, (400, 422), None),
        ({"json": {**_valid(), "is_admin": True}}, (400, 422), None),  # unknown field
        ({"json": {**_valid(), "role": "owner"}}, (400, 422), None),
        ({"json": {"email": unique_email(), "password": STRONG_PASSWORD}}, (400, 422), None),  # missing
        ({"json": {}}, (400, 422), None),
        ({"json": _valid(password="weakweakweak")}, 422, "invalid_input"),  # policy
    ]
    for kwargs, status, code in cases:
        body = assert_error(await client.post(REGISTER, **kwargs), status, code)
        if body["error"] != "malformed_body" and "json" in kwargs and status != 422:
            # Field-level errors name the field.
            assert any(k in body["detail"] for k in ("email", "password", "full_name", "body", "is_admin", "role"))
    assert await counts(admin_db) == before


async def test_unknown_field_is_named(client: AsyncTestClient[Any]) -> None:
    body = assert_error(await client.post(REGISTER, json={**_valid(), "is_admin": True}), (400, 422))
    assert "is_admin" in body["detail"]
    body = assert_error(await client.post(REGISTER, json={"email": unique_email()}), (400, 422))
    assert "password" in body["detail"] or "full_name" in body["detail"]


async def test_duplicate_registration_writes_nothing(
    client: AsyncTestClient[Any], admin_db: asyncpg.Connection
) -> None:
    email = unique_email("dup")
    await signup(client, email)
    before = await counts(admin_db)
    # The same answer as for a new address (no enumeration); the owner gets a mail instead of a second account.
    assert (await client.post(REGISTER, json=_valid(email=email.upper()))).status_code == 202
    await SMTP.sink.await_message(email, match=lambda m: "already have" in m.subject)
    assert await counts(admin_db) == before  # no orphan workspace from the second attempt


async def test_oversized_bodies_are_refused(client: AsyncTestClient[Any], admin_db: asyncpg.Connection) -> None:
    before = await counts(admin_db)
    big = json.dumps(_valid(full_name="x" * (MAX_BODY + 10))).encode()
    assert len(big) > MAX_BODY
    assert_error(await client.post(REGISTER, content=big, headers={"Content-Type": "application/json"}), 413)
    # A declared length over the limit is refused as well.
    owner = await register_and_login(client, "big")
    assert_error(
        await client.patch("/api/v1/workspace", headers=owner["headers"], json={"name": "y" * (MAX_BODY + 1)}), 413
    )
    # Just under the limit the body is read and then refused by validation (the name is too long), not by size.
    near = json.dumps({"name": "z" * (MAX_BODY - 100)}).encode()
    r = await client.patch(
        "/api/v1/workspace", headers={**owner["headers"], "Content-Type": "application/json"}, content=near
    )
    assert_error(r, (400, 422))
    after = await counts(admin_db)
    assert after["users"] == before["users"] + 1  # only the one account registered on purpose


async def test_wrong_content_type_and_routes(client: AsyncTestClient[Any]) -> None:
    r = await client.post(LOGIN, content=b"email=a@b.co&password=x", headers={"Content-Type": "text/plain"})
    assert_error(r, (400, 415, 422))
    assert_error(await client.get("/api/v1/no-such-route"), (401, 404))
    owner = await register_and_login(client, "routes")
    assert_error(await client.get("/api/v1/no-such-route", headers=owner["headers"]), 404, "not_found")
    assert_error(await client.delete("/api/v1/team/members/not-a-uuid", headers=owner["headers"]), (400, 404))
    assert_error(await client.put("/api/v1/workspace", headers=owner["headers"], json={"name": "x"}), 405)
    assert_error(
        await client.patch("/api/v1/team/members/" + str(uuid.uuid4()), headers=owner["headers"], json={"role": "god"}),
        (400, 422),
    )


# ---- tokens ------------------------------------------------------------------------------------


def _b64(obj: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()


async def test_bad_tokens_are_401(client: AsyncTestClient[Any]) -> None:
    owner = await register_and_login(client, "tok")
    platform = client.app.state.platform
    claims = jwt.decode(owner["access_token"], options={"verify_signature": False})
    cid, sub = uuid.UUID(claims["cid"]), uuid.UUID(claims["sub"])
    expired, _ = platform.tokens.issue(typ="access", sub=sub, cid=cid, ttl=-30, role="owner")
    forged = jwt.encode({**claims, "role": "owner"}, "not-the-server-secret-but-long-enough-000", algorithm="HS256")
    alg_none = f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(claims)}."
    head, payload, sig = owner["access_token"].split(".")
    swapped_sig = f"{head}.{payload}.{sig[::-1]}"
    other_alg = jwt.encode(claims, platform.settings.jwt_secret, algorithm="HS512")
    cases = {
        "expired": (bearer(expired), "expired"),
        "forged": (bearer(forged), "invalid"),
        "alg none": (bearer(alg_none), "invalid"),
        "bad signature": (bearer(swapped_sig), "invalid"),
        "other alg": (bearer(other_alg), "invalid"),
        "refresh as access": (bearer(owner["refresh_token"]), "access"),
        "garbage": (bearer("garbage"), "invalid"),
        "empty bearer": ({"Authorization": "Bearer "}, "Missing"),
        "basic": ({"Authorization": "Basic dXNlcjpwYXNz"}, "Missing"),
        "token without scheme": ({"Authorization": owner["access_token"]}, "Missing"),
        "none": ({}, "Missing"),
    }
    for name, (headers, hint) in cases.items():
        for path in ("/api/v1/workspace", "/api/v1/auth/me"):
            body = assert_error(await client.get(path, headers=headers), 401, "not_authenticated")
            assert hint.lower() in body["detail"].lower(), (name, body)
    # The real token still works: the refusals were about the tokens, not the account.
    assert (await client.get("/api/v1/auth/me", headers=owner["headers"])).status_code == 200


async def test_signed_token_for_a_foreign_or_missing_workspace(client: AsyncTestClient[Any]) -> None:
    """A validly signed token naming a workspace that does not exist finds nothing (RLS has no rows for it)."""
    platform = client.app.state.platform
    token, _ = platform.tokens.issue(typ="access", sub=uuid.uuid4(), cid=uuid.uuid4(), ttl=60, role="owner")
    assert_error(await client.get("/api/v1/workspace", headers=bearer(token)), 404)
    assert_error(await client.get("/api/v1/auth/me", headers=bearer(token)), 401)
    r = await client.get("/api/v1/team/members", headers=bearer(token))
    assert r.status_code == 200 and r.json() == []


async def test_bad_refresh_tokens(client: AsyncTestClient[Any]) -> None:
    owner = await register_and_login(client, "refresh")
    for token in ("garbage", owner["access_token"], owner["refresh_token"][:-3] + "abc"):
        assert_error(await client.post("/api/v1/auth/refresh", json={"refresh_token": token}), 401)
    assert_error(await client.post("/api/v1/auth/refresh", json={"refresh_token": ""}), (400, 422))
    assert_error(await client.post("/api/v1/auth/refresh", json={}), (400, 422))


async def test_replayed_refresh_token_revokes_the_family(client: AsyncTestClient[Any]) -> None:
    owner = await register_and_login(client, "replay")
    first = owner["refresh_token"]
    r = await client.post("/api/v1/auth/refresh", json={"refresh_token": first})
    assert r.status_code == 200
    second = r.json()["refresh_token"]
    body = assert_error(await client.post("/api/v1/auth/refresh", json={"refresh_token": first}), 401)
    assert "already used" in body["detail"]
    assert_error(await client.post("/api/v1/auth/refresh", json={"refresh_token": second}), 401)
    # A fresh sign-in starts a new, healthy family.
    r = await client.post(LOGIN, json={"email": owner["email"], "password": STRONG_PASSWORD})
    assert (
        await client.post("/api/v1/auth/refresh", json={"refresh_token": r.json()["refresh_token"]})
    ).status_code == 200


async def test_concurrent_refresh_with_one_token_succeeds_once(client: AsyncTestClient[Any]) -> None:
    owner = await register_and_login(client, "race")
    results = await asyncio.gather(
        *[client.post("/api/v1/auth/refresh", json={"refresh_token": owner["refresh_token"]}) for _ in range(4)]
    )
    codes = sorted(r.status_code for r in results)
    assert codes.count(200) <= 1, codes
    assert all(c in (200, 401) for c in codes), codes


# ---- brute force -------------------------------------------------------------------------------


async def test_login_limited_per_email(client: AsyncTestClient[Any], admin_db: asyncpg.Connection) -> None:
    owner = await register_and_login(client, "brute")
    limit = client.app.state.platform.settings.login_limit_per_email
    before = await counts(admin_db)
    for _ in range(limit):
        r = await client.post(LOGIN, json={"email": owner["email"], "password": "Wrong-Password-1"})
        assert_error(r, 401, "not_authenticated")
    for password in ("Wrong-Password-1", STRONG_PASSWORD):  # locked: even the right password is refused
        r = await client.post(LOGIN, json={"email": owner["email"].upper(), "password": password})
        body = assert_error(r, 429, "rate_limited")
        assert int(r.headers["retry-after"]) >= 1
        assert body.get("retry_after") == int(r.headers["retry-after"])
    assert await counts(admin_db) == before  # no refresh token was issued
    # Other accounts are not locked by it.
    other = await register_and_login(client, "bystander")
    assert other["access_token"]


async def _forget_login_counts_of_this_address() -> None:
    """Every test signs in from 127.0.0.1: this test starts from zero and leaves the address usable."""
    import redis.asyncio as aioredis

    r = aioredis.Redis.from_url(os.environ["REDIS_URL"], decode_responses=True)
    try:
        async for key in r.scan_iter("login:global:ip:*"):
            await r.delete(key)
    finally:
        await r.aclose()


async def test_login_limited_per_ip(client: AsyncTestClient[Any], admin_db: asyncpg.Connection) -> None:
    limit = client.app.state.platform.settings.login_limit_per_ip
    before = await counts(admin_db)
    await _forget_login_counts_of_this_address()
    try:
        for _ in range(limit):
            r = await client.post(LOGIN, json={"email": unique_email("spray"), "password": "Wrong-Password-1"})
            assert_error(r, 401)
        r = await client.post(LOGIN, json={"email": unique_email("spray"), "password": "Wrong-Password-1"})
        assert_error(r, 429, "rate_limited")
        assert int(r.headers["retry-after"]) >= 1
        assert await counts(admin_db) == before
    finally:
        await _forget_login_counts_of_this_address()


async def test_rate_limit_keys_are_global_and_hashed(client: AsyncTestClient[Any]) -> None:
    """The per-email key never stores the email in clear."""
    import redis.asyncio as aioredis

    email = unique_email("keys")
    await client.post(LOGIN, json={"email": email, "password": "Wrong-Password-1"})
    r = aioredis.Redis.from_url(os.environ["REDIS_URL"], decode_responses=True)
    try:
        keys = [k async for k in r.scan_iter("login:*")]
    finally:
        await r.aclose()
    assert keys and all(email not in k for k in keys)
