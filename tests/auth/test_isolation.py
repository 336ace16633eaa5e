"""Tenant isolation over HTTP: two workspaces, every endpoint tried with the other's ids and tokens."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from tests.auth.test_team import INVITATIONS, MEMBERS, _reset_login_ip_limit, bearer, invite, join
from tests.conftest import STRONG_PASSWORD, register_and_login

__all__ = ["_reset_login_ip_limit"]  # autouse: keeps this module's sign-ins out of the per-IP budget


@pytest.fixture
async def two(client: AsyncTestClient[Any]) -> AsyncIterator[dict[str, Any]]:
    """Workspaces A and B, each with an owner, an editor and a pending invitation."""
    a = await register_and_login(client, "iso-a")
    b = await register_and_login(client, "iso-b")
    a["editor"] = await join(client, a, "editor")
    b["editor"] = await join(client, b, "editor")
    await invite(client, a["headers"], "viewer")
    await invite(client, b["headers"], "viewer")
    for ws in (a, b):
        ws["invitation_id"] = (await client.get(INVITATIONS, headers=ws["headers"])).json()[0]["id"]
    yield {"a": a, "b": b}


async def snapshot(client: AsyncTestClient[Any], ws: dict[str, Any]) -> dict[str, Any]:
    """Everything a workspace owner can see of their workspace."""
    h = ws["headers"]
    return {
        "workspace": (await client.get("/api/v1/workspace", headers=h)).json(),
        "members": (await client.get(MEMBERS, headers=h)).json(),
        "invitations": (await client.get(INVITATIONS, headers=h)).json(),
        "me": (await client.get("/api/v1/auth/me", headers=h)).json(),
    }


def assert_refused(r: Any, *statuses: int) -> None:
    assert r.status_code in (statuses or (403, 404)), f"{r.status_code} {r.text}"
    body = r.json()
    assert set(body) >= {"error", "detail"}, body
    assert isinstance(body["detail"], str) and body["detail"]


async def test_reads_are_scoped_to_the_token(client: AsyncTestClient[Any], two: dict[str, Any]) -> None:
    a, b = two["a"], two["b"]
    snap_a = await snapshot(client, a)
    assert snap_a["workspace"]["id"] == a["workspace_id"]
    assert {m["user_id"] for m in snap_a["members"]} == {a["user_id"], a["editor"]["user_id"]}
    assert [i["id"] for i in snap_a["invitations"]] == [a["invitation_id"]]
    assert snap_a["me"]["workspace"]["id"] == a["workspace_id"]
    # Nothing of B is visible anywhere in A's view.
    flat = repr(snap_a)
    for secret in (b["workspace_id"], b["user_id"], b["email"], b["editor"]["user_id"], b["invitation_id"]):
        assert secret not in flat


async def test_cross_tenant_writes_are_refused_and_change_nothing(
    client: AsyncTestClient[Any], two: dict[str, Any]
) -> None:
    a, b = two["a"], two["b"]
    before_b = await snapshot(client, b)
    before_a = await snapshot(client, a)
    h = a["headers"]  # A's owner: the strongest role there is, aimed at B's ids
    attempts = [
        client.patch(f"{MEMBERS}/{b['user_id']}", headers=h, json={"role": "viewer"}),
        client.patch(f"{MEMBERS}/{b['editor']['user_id']}", headers=h, json={"role": "owner"}),
        client.delete(f"{MEMBERS}/{b['editor']['user_id']}", headers=h),
        client.delete(f"{MEMBERS}/{b['user_id']}", headers=h),
        client.delete(f"{INVITATIONS}/{b['invitation_id']}", headers=h),
    ]
    for call in attempts:
        assert_refused(await call, 404)
    # B's editor aimed at A (a weaker role: refused by the role guard before any lookup).
    assert_refused(await client.delete(f"{MEMBERS}/{a['editor']['user_id']}", headers=b["editor"]["headers"]), 403)
    # Unknown ids answer like foreign ones: no existence oracle.
    assert_refused(await client.delete(f"{MEMBERS}/{uuid.uuid4()}", headers=h), 404)
    assert_refused(await client.delete(f"{INVITATIONS}/{uuid.uuid4()}", headers=h), 404)
    # Workspace-level writes act on the caller's own workspace only.
    r = await client.patch("/api/v1/workspace", headers=h, json={"name": "A renamed"})
    assert r.status_code == 200 and r.json()["id"] == a["workspace_id"]

    after_b = await snapshot(client, b)
    assert after_b == before_b
    after_a = await snapshot(client, a)
    assert after_a["members"] == before_a["members"]
    assert after_a["workspace"]["name"] == "A renamed"


async def test_other_workspace_tokens_and_secrets_do_not_cross(
    client: AsyncTestClient[Any], two: dict[str, Any]
) -> None:
    a, b = two["a"], two["b"]
    before_b = await snapshot(client, b)
    # Signing in to a workspace one does not belong to.
    r = await client.post(
        "/api/v1/auth/login", json={"email": a["email"], "password": STRONG_PASSWORD, "workspace_id": b["workspace_id"]}
    )
    assert_refused(r, 403)
    # Signing out someone else's session with one's own access token.
    r = await client.post("/api/v1/auth/logout", headers=a["headers"], json={"refresh_token": b["refresh_token"]})
    assert_refused(r, 403)
    r = await client.post("/api/v1/auth/refresh", json={"refresh_token": b["refresh_token"]})
    assert r.status_code == 200, "B's session must survive A's attempt"
    b["headers"] = bearer(r.json()["access_token"])
    # An invitation secret of B presented as if it were A's (the prefix names the workspace).
    token_b = await invite(client, b["headers"], "admin")
    secret = token_b.split(".", 1)[1]
    r = await client.post(
        "/api/v1/auth/accept-invitation",
        json={"token": f"{a['workspace_id']}.{secret}", "password": STRONG_PASSWORD, "full_name": "Sneaky"},
    )
    assert_refused(r, 404)
    # A token of A re-signed... cannot be: tampering with its cid breaks the signature.
    head, payload, sig = a["access_token"].split(".")
    r = await client.get("/api/v1/workspace", headers=bearer(f"{head}.{payload[:-4]}AAAA.{sig}"))
    assert_refused(r, 401)
    # B unchanged apart from the one invitation B itself created above.
    after_b = await snapshot(client, b)
    assert after_b["members"] == before_b["members"]
    assert after_b["workspace"] == before_b["workspace"]
    assert len(after_b["invitations"]) == len(before_b["invitations"]) + 1


async def test_member_token_cannot_use_staff_endpoints(client: AsyncTestClient[Any], two: dict[str, Any]) -> None:
    a = two["a"]
    tokens = client.app.state.platform.tokens
    # Even a member token that carries a role claim is not staff.
    for extra in ({}, {"role": "owner"}):
        member, _ = tokens.issue(typ="member", sub=uuid.uuid4(), cid=uuid.UUID(a["workspace_id"]), ttl=60, **extra)
        h = bearer(member)
        calls = [
            client.get("/api/v1/workspace", headers=h),
            client.patch("/api/v1/workspace", headers=h, json={"name": "member was here"}),
            client.get(MEMBERS, headers=h),
            client.patch(f"{MEMBERS}/{a['editor']['user_id']}", headers=h, json={"role": "owner"}),
            client.delete(f"{MEMBERS}/{a['editor']['user_id']}", headers=h),
            client.get(INVITATIONS, headers=h),
            client.post(INVITATIONS, headers=h, json={"email": "m@example.com", "role": "viewer"}),
            client.delete(f"{INVITATIONS}/{a['invitation_id']}", headers=h),
            client.get("/api/v1/auth/me", headers=h),
        ]
        for call in calls:
            assert_refused(await call, 403)
    snap = await snapshot(client, a)
    assert snap["workspace"]["name"] != "member was here"
    assert len(snap["members"]) == 2 and len(snap["invitations"]) == 1


async def test_refresh_token_is_not_an_access_token(client: AsyncTestClient[Any], two: dict[str, Any]) -> None:
    a = two["a"]
    for path in ("/api/v1/workspace", MEMBERS, "/api/v1/auth/me"):
        assert_refused(await client.get(path, headers=bearer(a["refresh_token"])), 401)


async def test_every_staff_route_needs_a_token(client: AsyncTestClient[Any], two: dict[str, Any]) -> None:
    a = two["a"]
    calls = [
        client.get("/api/v1/workspace"),
        client.patch("/api/v1/workspace", json={"name": "anon"}),
        client.get(MEMBERS),
        client.patch(f"{MEMBERS}/{a['user_id']}", json={"role": "viewer"}),
        client.delete(f"{MEMBERS}/{a['user_id']}"),
        client.get(INVITATIONS),
        client.post(INVITATIONS, json={"email": "x@example.com", "role": "owner"}),
        client.delete(f"{INVITATIONS}/{a['invitation_id']}"),
        client.get("/api/v1/auth/me"),
        client.post("/api/v1/auth/logout"),
    ]
    for call in calls:
        assert_refused(await call, 401)
    assert (await snapshot(client, a))["workspace"]["name"] != "anon"
