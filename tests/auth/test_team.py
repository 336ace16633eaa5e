"""Team management over HTTP: invitations, acceptance, role guards, owner rules, token cut-off."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
import redis.asyncio as aioredis
from litestar.testing import AsyncTestClient

from tests.conftest import SMTP, STRONG_PASSWORD, register_and_login, token_of, unique_email

MEMBERS = "/api/v1/team/members"
INVITATIONS = "/api/v1/team/invitations"


@pytest.fixture(autouse=True)
async def _reset_login_ip_limit() -> AsyncIterator[None]:
    """All test requests come from one address; keep this module's sign-ins out of the per-IP budget."""
    import os

    r = aioredis.Redis.from_url(os.environ["REDIS_URL"])
    await r.delete("login:global:ip:testclient")
    yield
    await r.delete("login:global:ip:testclient")
    await r.aclose()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def invite(client: AsyncTestClient[Any], headers: dict[str, str], role: str, email: str | None = None) -> str:
    """Invite `email`; return the token from the link the invitee received by email (the inviter never sees it)."""
    email = email or unique_email(role)
    sent = len(SMTP.sink.to(email))
    r = await client.post(INVITATIONS, headers=headers, json={"email": email, "role": role})
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["role"] == role and "token" not in body and body["accepted_at"] is None
    mail = await SMTP.sink.await_message(email, count=sent + 1)
    return token_of(mail.link("/accept-invitation"))


async def join(client: AsyncTestClient[Any], inviter: dict[str, Any], role: str) -> dict[str, Any]:
    """Invite a brand-new person with `role` into the inviter's workspace and accept; return their session."""
    email = unique_email(role)
    token = await invite(client, inviter["headers"], role, email)
    r = await client.post(
        "/api/v1/auth/accept-invitation",
        json={"token": token, "password": STRONG_PASSWORD, "full_name": f"{role} person"},
    )
    assert r.status_code == 200, r.text
    pair = r.json()
    assert pair["workspace_id"] == inviter["workspace_id"]
    headers = bearer(pair["access_token"])
    me = (await client.get("/api/v1/auth/me", headers=headers)).json()
    assert me["workspace"]["role"] == role
    return {"email": email, "user_id": me["user"]["id"], "headers": headers, **pair}


async def roles_of(client: AsyncTestClient[Any], headers: dict[str, str]) -> dict[str, str]:
    r = await client.get(MEMBERS, headers=headers)
    assert r.status_code == 200, r.text
    return {m["user_id"]: m["role"] for m in r.json()}


async def test_invite_and_accept_new_user(client: AsyncTestClient[Any], creator: dict[str, Any]) -> None:
    editor = await join(client, creator, "editor")
    assert (await roles_of(client, creator["headers"]))[editor["user_id"]] == "editor"
    # The invitation is spent: no longer listed, and cannot be accepted twice.
    r = await client.get(INVITATIONS, headers=creator["headers"])
    assert all(i["email"] != editor["email"] for i in r.json())
    # The new account can sign in by itself.
    r = await client.post("/api/v1/auth/login", json={"email": editor["email"], "password": STRONG_PASSWORD})
    assert r.status_code == 200
    assert r.json()["workspace_id"] == creator["workspace_id"]


async def test_invitation_cannot_be_used_twice(client: AsyncTestClient[Any], creator: dict[str, Any]) -> None:
    token = await invite(client, creator["headers"], "viewer")
    body = {"token": token, "password": STRONG_PASSWORD, "full_name": "Once"}
    assert (await client.post("/api/v1/auth/accept-invitation", json=body)).status_code == 200
    r = await client.post("/api/v1/auth/accept-invitation", json=body)
    assert r.status_code == 404
    assert r.json()["error"] == "not_found"


async def test_accept_with_new_account_needs_name_and_policy(
    client: AsyncTestClient[Any], creator: dict[str, Any]
) -> None:
    token = await invite(client, creator["headers"], "viewer")
    r = await client.post("/api/v1/auth/accept-invitation", json={"token": token, "password": STRONG_PASSWORD})
    assert r.status_code == 422
    r = await client.post(
        "/api/v1/auth/accept-invitation", json={"token": token, "password": "weak", "full_name": "Weak"}
    )
    assert r.status_code == 422
    # Neither attempt spent the invitation.
    r = await client.post(
        "/api/v1/auth/accept-invitation", json={"token": token, "password": STRONG_PASSWORD, "full_name": "Ok"}
    )
    assert r.status_code == 200


async def test_existing_user_of_another_workspace_joins(
    client: AsyncTestClient[Any], creator: dict[str, Any], other_creator: dict[str, Any]
) -> None:
    token = await invite(client, creator["headers"], "admin", other_creator["email"])
    # The existing account must prove it is theirs: by being signed in as it, never by a password typed here.
    r = await client.post("/api/v1/auth/accept-invitation", json={"token": token, "password": "Wrong-Password-1"})
    assert r.status_code == 409 and r.json()["error"] == "account_exists"
    r = await client.post("/api/v1/auth/accept-invitation", json={"token": token, "password": STRONG_PASSWORD})
    assert r.status_code == 409 and r.json()["error"] == "account_exists"
    r = await client.post("/api/v1/auth/accept-invitation", json={"token": token}, headers=other_creator["headers"])
    assert r.status_code == 200, r.text
    assert r.json()["workspace_id"] == creator["workspace_id"]
    in_a = bearer(r.json()["access_token"])
    me = (await client.get("/api/v1/auth/me", headers=in_a)).json()
    assert me["workspace"] == {"id": creator["workspace_id"], "name": me["workspace"]["name"], "role": "admin"}
    assert (await roles_of(client, creator["headers"]))[other_creator["user_id"]] == "admin"

    # Signing in picks a workspace: the first by default, another on request, never a foreign one.
    login = {"email": other_creator["email"], "password": STRONG_PASSWORD}
    r = await client.post("/api/v1/auth/login", json=login)
    assert r.json()["workspace_id"] == other_creator["workspace_id"]
    r = await client.post("/api/v1/auth/login", json={**login, "workspace_id": creator["workspace_id"]})
    assert r.status_code == 200 and r.json()["workspace_id"] == creator["workspace_id"]
    # Their own workspace still says owner, and A's staff list does not leak into B's.
    me_b = (await client.get("/api/v1/auth/me", headers=other_creator["headers"])).json()
    assert me_b["workspace"]["role"] == "owner"
    assert set(await roles_of(client, other_creator["headers"])) == {other_creator["user_id"]}


async def test_role_guards(client: AsyncTestClient[Any], creator: dict[str, Any]) -> None:
    viewer = await join(client, creator, "viewer")
    editor = await join(client, creator, "editor")
    admin = await join(client, creator, "admin")
    owner_id = creator["user_id"]

    for who in (viewer, editor):
        r = await client.post(INVITATIONS, headers=who["headers"], json={"email": unique_email(), "role": "viewer"})
        assert r.status_code == 403, r.text
        assert r.json()["error"] == "forbidden"
        assert (await client.get(INVITATIONS, headers=who["headers"])).status_code == 403
        r = await client.patch(f"{MEMBERS}/{viewer['user_id']}", headers=who["headers"], json={"role": "admin"})
        assert r.status_code == 403
        assert (await client.delete(f"{MEMBERS}/{viewer['user_id']}", headers=who["headers"])).status_code == 403
        assert (await client.patch("/api/v1/workspace", headers=who["headers"], json={"name": "x"})).status_code == 403
        # Reading is fine for every staff role.
        assert (await client.get(MEMBERS, headers=who["headers"])).status_code == 200
        assert (await client.get("/api/v1/workspace", headers=who["headers"])).status_code == 200

    # Admin: may invite up to admin, never an owner; may not touch owners.
    r = await client.post(INVITATIONS, headers=admin["headers"], json={"email": unique_email(), "role": "owner"})
    assert r.status_code == 403
    await invite(client, admin["headers"], "admin")
    r = await client.patch(f"{MEMBERS}/{admin['user_id']}", headers=admin["headers"], json={"role": "owner"})
    assert r.status_code == 403  # no self-promotion
    r = await client.patch(f"{MEMBERS}/{viewer['user_id']}", headers=admin["headers"], json={"role": "owner"})
    assert r.status_code == 403
    r = await client.patch(f"{MEMBERS}/{owner_id}", headers=admin["headers"], json={"role": "viewer"})
    assert r.status_code == 403
    assert (await client.delete(f"{MEMBERS}/{owner_id}", headers=admin["headers"])).status_code == 403
    r = await client.patch(f"{MEMBERS}/{viewer['user_id']}", headers=admin["headers"], json={"role": "editor"})
    assert r.status_code == 200 and r.json() == {"user_id": viewer["user_id"], "role": "editor"}

    roles = await roles_of(client, creator["headers"])
    assert roles == {
        owner_id: "owner",
        viewer["user_id"]: "editor",
        editor["user_id"]: "editor",
        admin["user_id"]: "admin",
    }


async def test_last_owner_cannot_be_demoted_or_removed(client: AsyncTestClient[Any], creator: dict[str, Any]) -> None:
    owner_id = creator["user_id"]
    r = await client.patch(f"{MEMBERS}/{owner_id}", headers=creator["headers"], json={"role": "admin"})
    assert r.status_code == 409
    assert r.json()["error"] == "conflict"
    r = await client.delete(f"{MEMBERS}/{owner_id}", headers=creator["headers"])
    assert r.status_code == 409
    assert (await roles_of(client, creator["headers"]))[owner_id] == "owner"

    # With a second owner, the first may step down.
    second = await join(client, creator, "owner")
    r = await client.patch(f"{MEMBERS}/{owner_id}", headers=second["headers"], json={"role": "admin"})
    assert r.status_code == 200
    r = await client.delete(f"{MEMBERS}/{second['user_id']}", headers=second["headers"])
    assert r.status_code == 409  # now the last owner again


async def test_role_change_cuts_off_older_access_tokens(client: AsyncTestClient[Any], creator: dict[str, Any]) -> None:
    admin = await join(client, creator, "admin")
    assert (await client.get(INVITATIONS, headers=admin["headers"])).status_code == 200
    r = await client.patch(f"{MEMBERS}/{admin['user_id']}", headers=creator["headers"], json={"role": "viewer"})
    assert r.status_code == 200
    # Immediately: the token that still says "admin" no longer works at all.
    r = await client.get(INVITATIONS, headers=admin["headers"])
    assert r.status_code == 401, r.text
    assert r.json()["error"] == "not_authenticated"
    assert (await client.get("/api/v1/auth/me", headers=admin["headers"])).status_code == 401
    # The refresh token still works and yields the new role.
    r = await client.post("/api/v1/auth/refresh", json={"refresh_token": admin["refresh_token"]})
    assert r.status_code == 200, r.text
    fresh = bearer(r.json()["access_token"])
    me = await client.get("/api/v1/auth/me", headers=fresh)
    assert me.status_code == 200, me.text
    assert me.json()["workspace"]["role"] == "viewer"
    assert (await client.get(INVITATIONS, headers=fresh)).status_code == 403
    # So does a fresh sign-in right away.
    r = await client.post("/api/v1/auth/login", json={"email": admin["email"], "password": STRONG_PASSWORD})
    assert (await client.get("/api/v1/auth/me", headers=bearer(r.json()["access_token"]))).status_code == 200
    # Other staff are not affected.
    assert (await client.get(INVITATIONS, headers=creator["headers"])).status_code == 200


async def test_removed_member_is_locked_out(client: AsyncTestClient[Any], creator: dict[str, Any]) -> None:
    editor = await join(client, creator, "editor")
    r = await client.delete(f"{MEMBERS}/{editor['user_id']}", headers=creator["headers"])
    assert r.status_code == 204
    assert editor["user_id"] not in await roles_of(client, creator["headers"])
    assert (await client.get("/api/v1/workspace", headers=editor["headers"])).status_code == 401
    r = await client.post("/api/v1/auth/refresh", json={"refresh_token": editor["refresh_token"]})
    assert r.status_code == 401
    assert r.json()["error"] == "not_authenticated"
    # Signing in finds no workspace for them any more.
    r = await client.post("/api/v1/auth/login", json={"email": editor["email"], "password": STRONG_PASSWORD})
    assert r.status_code == 403
    # Removing them again: nothing to remove.
    assert (await client.delete(f"{MEMBERS}/{editor['user_id']}", headers=creator["headers"])).status_code == 404


async def test_revoke_invitation(client: AsyncTestClient[Any], creator: dict[str, Any]) -> None:
    token = await invite(client, creator["headers"], "editor")
    listed = (await client.get(INVITATIONS, headers=creator["headers"])).json()
    inv_id = next(i["id"] for i in listed if i["role"] == "editor")
    assert all("token" not in i or i["token"] is None for i in listed)  # the secret is shown once only
    assert (await client.delete(f"{INVITATIONS}/{inv_id}", headers=creator["headers"])).status_code == 204
    r = await client.post(
        "/api/v1/auth/accept-invitation", json={"token": token, "password": STRONG_PASSWORD, "full_name": "Late"}
    )
    assert r.status_code == 404


async def test_rename_workspace(client: AsyncTestClient[Any]) -> None:
    owner = await register_and_login(client, "rename")
    r = await client.patch("/api/v1/workspace", headers=owner["headers"], json={"name": "New name"})
    assert r.status_code == 200 and r.json()["name"] == "New name"
    assert (await client.get("/api/v1/workspace", headers=owner["headers"])).json()["name"] == "New name"
