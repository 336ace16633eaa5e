"""Defect 7: a refused request changes nothing: check first, then act."""

from __future__ import annotations

from typing import Any

from litestar.testing import AsyncTestClient

from tests.auth.test_team import MEMBERS


async def test_logout_with_someone_elses_refresh_token_signs_nobody_out(
    client: AsyncTestClient[Any], creator: dict[str, Any], other_creator: dict[str, Any]
) -> None:
    r = await client.post(
        "/api/v1/auth/logout", headers=creator["headers"], json={"refresh_token": other_creator["refresh_token"]}
    )
    assert r.status_code == 403
    # The caller's own session was not touched by the refused sign-out (it used to be revoked first).
    assert (await client.get("/api/v1/auth/me", headers=creator["headers"])).status_code == 200
    r = await client.post("/api/v1/auth/refresh", json={"refresh_token": other_creator["refresh_token"]})
    assert r.status_code == 200


async def test_changing_a_role_to_the_same_role_revokes_nothing(
    client: AsyncTestClient[Any], creator: dict[str, Any]
) -> None:
    r = await client.patch(f"{MEMBERS}/{creator['user_id']}", headers=creator["headers"], json={"role": "owner"})
    assert r.status_code == 200 and r.json()["role"] == "owner"
    assert (await client.get("/api/v1/auth/me", headers=creator["headers"])).status_code == 200
