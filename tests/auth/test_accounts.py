"""Sign-up by emailed link without enumeration, password reset, and their limits (real SMTP on loopback)."""

from __future__ import annotations

import statistics
import time
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest
import redis.asyncio as aioredis
from litestar.testing import AsyncTestClient

from backend.auth.jobs import password_reset_requested
from backend.lib.security import sha256_hex
from tests.conftest import ADMIN_URL, SMTP, STRONG_PASSWORD, token_of, unique_email

REGISTER = "/api/v1/auth/register"
VERIFY = "/api/v1/auth/verify-email"
RESET = "/api/v1/auth/password-reset"
RESET_CONFIRM = "/api/v1/auth/password-reset/confirm"
NEW_PASSWORD = "Another-Horse-77"


@pytest.fixture
async def admin_db() -> AsyncIterator[asyncpg.Connection]:
    conn = await asyncpg.connect(ADMIN_URL.replace("postgresql+asyncpg", "postgresql"))
    yield conn
    await conn.close()


@pytest.fixture
async def redis_db() -> AsyncIterator[aioredis.Redis]:
    import os

    r = aioredis.Redis.from_url(os.environ["REDIS_URL"], decode_responses=True)
    yield r
    await r.aclose()


def _body(email: str, **extra: Any) -> dict[str, Any]:
    return {"email": email, "password": STRONG_PASSWORD, "full_name": "Ada Lovelace", **extra}


async def _timed(client: AsyncTestClient[Any], body: dict[str, Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    r = await client.post(REGISTER, json=body)
    return time.perf_counter() - started, r


async def test_register_answers_the_same_for_new_and_existing_addresses(
    client: AsyncTestClient[Any], creator: dict[str, Any]
) -> None:
    known, fresh = [], []
    for _ in range(4):  # the address's sign-up used one of its 5 attempts an hour
        took, r_known = await _timed(client, _body(creator["email"]))
        known.append(took)
        new_email = unique_email("fresh")
        took, r_new = await _timed(client, _body(new_email))
        fresh.append(took)
        assert (r_known.status_code, r_known.json()) == (r_new.status_code, r_new.json())
        assert r_new.status_code == 202 and r_new.json()["status"] == "check_inbox"
        assert set(r_known.headers) == set(r_new.headers)
    # The same work on the request path (one password hash, one queued job): comparable times.
    a, b = statistics.median(known), statistics.median(fresh)
    assert max(a, b) <= 2.5 * min(a, b) + 0.05, (known, fresh)
    # The owner of the existing address is told by email instead; the new address gets a link.
    told = await SMTP.sink.await_message(creator["email"], match=lambda m: "already have" in m.subject)
    assert "/verify-email" not in told.text and "/forgot-password" in told.text
    link = (await SMTP.sink.await_message(new_email)).link("/verify-email")
    assert link.startswith("http://127.0.0.1:3000/verify-email?token=")


async def test_pending_signup_is_no_account_until_confirmed(
    client: AsyncTestClient[Any], admin_db: asyncpg.Connection
) -> None:
    email = unique_email("pending")
    assert (await client.post(REGISTER, json=_body(email, workspace_name="Stoa"))).status_code == 202
    mail = await SMTP.sink.await_message(email)
    r = await client.post("/api/v1/auth/login", json={"email": email, "password": STRONG_PASSWORD})
    assert r.status_code == 401
    token = token_of(mail.link("/verify-email"))
    # Stored hashed: the row holds the SHA-256, never the token.
    row = await admin_db.fetchrow(
        "SELECT token_hash, payload::text AS payload FROM account_tokens WHERE email = $1", email
    )
    assert row["token_hash"] == sha256_hex(token) and token not in row["payload"]
    r = await client.post(VERIFY, json={"token": token})
    assert r.status_code == 201, r.text
    session = r.json()
    assert session["workspace"]["name"] == "Stoa" and session["workspace"]["role"] == "owner"
    assert session["user"]["email"] == email
    me = await client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {session['access_token']}"})
    assert me.status_code == 200 and me.json()["workspace"]["id"] == session["workspace_id"]
    # Single use.
    r = await client.post(VERIFY, json={"token": token})
    assert r.status_code == 410 and r.json()["error"] == "token_used"


async def test_forged_expired_and_superseded_links(client: AsyncTestClient[Any], admin_db: asyncpg.Connection) -> None:
    r = await client.post(VERIFY, json={"token": "x" * 43})
    assert r.status_code == 404 and r.json()["error"] == "invalid_token"
    email = unique_email("late")
    for count in (1, 2):  # asked twice: only the newest link works
        assert (await client.post(REGISTER, json=_body(email))).status_code == 202
        mail = await SMTP.sink.await_message(email, count=count)
        if count == 1:
            first = token_of(mail.link("/verify-email"))
    second = token_of(mail.link("/verify-email"))
    r = await client.post(VERIFY, json={"token": first})
    assert r.status_code == 410 and r.json()["error"] == "token_used"
    await admin_db.execute("UPDATE account_tokens SET expires_at = now() - interval '1 second' WHERE email = $1", email)
    r = await client.post(VERIFY, json={"token": second})
    assert r.status_code == 410 and r.json()["error"] == "token_expired"
    r = await client.post("/api/v1/auth/login", json={"email": email, "password": STRONG_PASSWORD})
    assert r.status_code == 401


async def test_registration_is_rate_limited_per_email_and_per_ip(
    client: AsyncTestClient[Any], creator: dict[str, Any], redis_db: aioredis.Redis
) -> None:
    # Per email, the same budget whether or not the address has an account: a 429 tells nothing either.
    for email, used in ((creator["email"], 1), (unique_email("budget"), 0)):  # the creator signed up once
        answers = [(await client.post(REGISTER, json=_body(email))).status_code for _ in range(6 - used)]
        assert answers == [202] * (5 - used) + [429], answers
    r = await client.post(REGISTER, json=_body(creator["email"]))
    assert r.status_code == 429 and int(r.headers["retry-after"]) > 0 and r.json()["error"] == "rate_limited"
    # Per IP (the test client's address), whatever the email.
    key = "register:global:ip:testclient"
    saved = await redis_db.get(key)
    await redis_db.set(key, 100000, ex=60)
    try:
        r = await client.post(REGISTER, json=_body(unique_email("ip")))
        assert r.status_code == 429
    finally:
        await redis_db.set(key, saved or 0, ex=3600)


async def test_password_reset_flow(client: AsyncTestClient[Any], creator: dict[str, Any], platform: Any) -> None:
    unknown = unique_email("nobody")
    answers = [await client.post(RESET, json={"email": e}) for e in (creator["email"], unknown)]
    assert answers[0].status_code == answers[1].status_code == 202
    assert answers[0].json() == answers[1].json()
    assert await password_reset_requested({"platform": platform}, email=unknown) == "no_account"
    mail = await SMTP.sink.await_message(creator["email"], match=lambda m: "Reset" in m.subject)
    token = token_of(mail.link("/reset-password"))

    # The policy applies, and a refused password does not spend the link.
    r = await client.post(RESET_CONFIRM, json={"token": token, "password": "weakweakweak"})
    assert r.status_code == 422
    r = await client.post(RESET_CONFIRM, json={"token": token, "password": NEW_PASSWORD})
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "password_changed"
    # Every session ended: the access token and the refresh token of before.
    assert (await client.get("/api/v1/auth/me", headers=creator["headers"])).status_code == 401
    r = await client.post("/api/v1/auth/refresh", json={"refresh_token": creator["refresh_token"]})
    assert r.status_code == 401
    old = await client.post("/api/v1/auth/login", json={"email": creator["email"], "password": STRONG_PASSWORD})
    assert old.status_code == 401
    new = await client.post("/api/v1/auth/login", json={"email": creator["email"], "password": NEW_PASSWORD})
    assert new.status_code == 200
    await SMTP.sink.await_message(creator["email"], match=lambda m: "was changed" in m.subject)
    # Single use; forged.
    r = await client.post(RESET_CONFIRM, json={"token": token, "password": "Third-Horse-99"})
    assert r.status_code == 410 and r.json()["error"] == "token_used"
    r = await client.post(RESET_CONFIRM, json={"token": "y" * 43, "password": "Third-Horse-99"})
    assert r.status_code == 404 and r.json()["error"] == "invalid_token"


async def test_expired_reset_link(
    client: AsyncTestClient[Any], creator: dict[str, Any], admin_db: asyncpg.Connection
) -> None:
    assert (await client.post(RESET, json={"email": creator["email"]})).status_code == 202
    mail = await SMTP.sink.await_message(creator["email"], match=lambda m: "Reset" in m.subject)
    await admin_db.execute(
        "UPDATE account_tokens SET expires_at = now() - interval '1 second' WHERE email = $1", creator["email"]
    )
    r = await client.post(
        RESET_CONFIRM, json={"token": token_of(mail.link("/reset-password")), "password": NEW_PASSWORD}
    )
    assert r.status_code == 410 and r.json()["error"] == "token_expired"
    r = await client.post(VERIFY, json={"token": token_of(mail.link("/reset-password"))})
    assert r.status_code == 404  # a reset link is no sign-up link


async def test_app_role_cannot_read_account_tokens(platform: Any) -> None:
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    async with platform.db.session(None) as db:
        with pytest.raises(DBAPIError, match="permission denied"):
            await db.execute(text("SELECT * FROM account_tokens"))
