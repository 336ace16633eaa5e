"""Accounts end to end over HTTP: register, login, me, refresh rotation and reuse, logout."""

from __future__ import annotations

from typing import Any

from litestar.testing import AsyncTestClient

from tests.conftest import STRONG_PASSWORD, unique_email


async def test_register_login_me(client: AsyncTestClient[Any], creator: dict[str, Any]) -> None:
    assert creator["token_type"] == "bearer"
    assert creator["expires_in"] > 0
    r = await client.get("/api/v1/auth/me", headers=creator["headers"])
    assert r.status_code == 200
    me = r.json()
    assert me["user"]["email"] == creator["email"]
    assert me["workspace"]["id"] == creator["workspace_id"]
    assert me["workspace"]["role"] == "owner"


async def test_register_duplicate_email_answers_the_same(client: AsyncTestClient[Any], creator: dict[str, Any]) -> None:
    r = await client.post(
        "/api/v1/auth/register",
        json={"email": creator["email"].upper(), "password": STRONG_PASSWORD, "full_name": "Again"},
    )
    assert r.status_code == 202
    assert r.json()["status"] == "check_inbox"


async def test_weak_password_refused(client: AsyncTestClient[Any]) -> None:
    email = unique_email()
    r = await client.post("/api/v1/auth/register", json={"email": email, "password": "short", "full_name": "X"})
    assert r.status_code == 422
    assert "at least" in r.json()["detail"]
    r = await client.post("/api/v1/auth/login", json={"email": email, "password": "short"})
    assert r.status_code == 401  # nothing was written


async def test_wrong_password(client: AsyncTestClient[Any], creator: dict[str, Any]) -> None:
    r = await client.post("/api/v1/auth/login", json={"email": creator["email"], "password": "Wrong-pass-99"})
    assert r.status_code == 401
    assert r.json() == {"error": "not_authenticated", "detail": "Email or password is incorrect"}


async def test_refresh_rotates_and_reuse_revokes_family(client: AsyncTestClient[Any], creator: dict[str, Any]) -> None:
    first = creator["refresh_token"]
    r = await client.post("/api/v1/auth/refresh", json={"refresh_token": first})
    assert r.status_code == 200
    second = r.json()["refresh_token"]
    assert second != first
    new_access = {"Authorization": f"Bearer {r.json()['access_token']}"}
    assert (await client.get("/api/v1/auth/me", headers=new_access)).status_code == 200

    # Replaying the spent token is theft: it fails and takes the whole family down.
    r = await client.post("/api/v1/auth/refresh", json={"refresh_token": first})
    assert r.status_code == 401
    assert "already used" in r.json()["detail"]
    r = await client.post("/api/v1/auth/refresh", json={"refresh_token": second})
    assert r.status_code == 401


async def test_logout_revokes_access_and_refresh(client: AsyncTestClient[Any], creator: dict[str, Any]) -> None:
    r = await client.post(
        "/api/v1/auth/logout", headers=creator["headers"], json={"refresh_token": creator["refresh_token"]}
    )
    assert r.status_code == 204
    r = await client.get("/api/v1/auth/me", headers=creator["headers"])
    assert r.status_code == 401
    assert r.json()["detail"] == "Token has been revoked"
    r = await client.post("/api/v1/auth/refresh", json={"refresh_token": creator["refresh_token"]})
    assert r.status_code == 401
