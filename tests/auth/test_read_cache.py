"""GET /api/v1/workspace's tenant read cache, against the real app, Redis and PostgreSQL (no mocks).

The copy is keyed by the tenant, filled only from a read made as the tenant (RLS), looked up in the same
MGET as the token's revocation check (revocation decided first), replaced by a rename, and never served
when it was filled from a read that raced a write.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
import redis.asyncio as aioredis
from litestar.testing import AsyncTestClient

from backend.team.service import WORKSPACE_READ
from common.settings import get_settings
from tests.auth.test_team import join
from tests.conftest import register_and_login

WORKSPACE = "/api/v1/workspace"


@pytest.fixture
async def redis() -> AsyncIterator[aioredis.Redis]:
    r = aioredis.Redis.from_url(os.environ["REDIS_URL"], decode_responses=True)
    yield r
    await r.aclose()


async def read(client: AsyncTestClient[Any], who: dict[str, Any]) -> dict[str, Any]:
    r = await client.get(WORKSPACE, headers=who["headers"])
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


async def test_the_copy_is_keyed_by_the_tenant_and_expires(
    client: AsyncTestClient[Any], creator: dict[str, Any], redis: aioredis.Redis
) -> None:
    cid = uuid.UUID(creator["workspace_id"])
    copy_key, version_key = WORKSPACE_READ.keys(cid)
    assert copy_key == f"workspace:creator_{cid}" and version_key == f"workspace:creator_{cid}:version"
    first = await read(client, creator)
    stored, version = await redis.mget(copy_key, version_key)
    assert stored is not None and version is not None
    assert WORKSPACE_READ.valid(stored, version) is not None and first["name"] in stored
    assert 0 < await redis.ttl(copy_key) <= get_settings().read_cache_ttl
    assert await read(client, creator) == first  # served from the copy, same answer


async def test_a_tenant_never_sees_another_tenants_copy(
    client: AsyncTestClient[Any], creator: dict[str, Any], other_creator: dict[str, Any], redis: aioredis.Redis
) -> None:
    a, b = await read(client, creator), await read(client, other_creator)
    assert a["id"] == creator["workspace_id"] and b["id"] == other_creator["workspace_id"] and a["name"] != b["name"]
    for _ in range(3):  # both copies warm: each token reads its own tenant's
        assert await read(client, creator) == a
        assert await read(client, other_creator) == b
    # Even B's copy written under A's key is not served to A: it carries B's version, not A's.
    a_key, b_key = WORKSPACE_READ.keys(uuid.UUID(a["id"]))[0], WORKSPACE_READ.keys(uuid.UUID(b["id"]))[0]
    await redis.set(a_key, str(await redis.get(b_key)), ex=30)
    assert await read(client, creator) == a


async def test_a_rename_replaces_the_copy_at_once(
    client: AsyncTestClient[Any], creator: dict[str, Any], redis: aioredis.Redis
) -> None:
    await read(client, creator)
    viewer = await join(client, creator, "viewer")  # another caller of the same tenant, warm copy
    assert (await read(client, viewer))["role"] == "viewer"
    r = await client.patch(WORKSPACE, headers=creator["headers"], json={"name": "Renamed Studio"})
    assert r.status_code == 200, r.text
    assert (await read(client, viewer))["name"] == "Renamed Studio"
    assert (await read(client, creator))["name"] == "Renamed Studio"
    assert (await read(client, creator))["role"] == "owner"  # the role is each caller's own, never the copy's


async def test_a_fill_that_raced_a_write_is_never_served(
    client: AsyncTestClient[Any], creator: dict[str, Any], redis: aioredis.Redis
) -> None:
    cid = uuid.UUID(creator["workspace_id"])
    before = await read(client, creator)
    copy_key, version_key = WORKSPACE_READ.keys(cid)
    stale_version, stale_copy = await redis.get(version_key), await redis.get(copy_key)
    assert stale_version is not None and stale_copy is not None
    # A reader took the version, then read PostgreSQL before this rename committed...
    r = await client.patch(WORKSPACE, headers=creator["headers"], json={"name": "After The Write"})
    assert r.status_code == 200, r.text
    # ... and stores what it read only after the writer's invalidation.
    payload = WORKSPACE_READ.valid(stale_copy, stale_version)
    assert payload is not None and before["name"] in payload
    await WORKSPACE_READ.fill(redis, cid, stale_version, payload, 30)
    assert (await read(client, creator))["name"] == "After The Write"


async def test_a_revoked_token_is_refused_even_when_the_copy_is_warm(
    client: AsyncTestClient[Any], creator: dict[str, Any]
) -> None:
    await read(client, creator)
    editor = await join(client, creator, "editor")
    await read(client, editor)
    await read(client, creator)  # the copy is warm for both
    # a member removed from the workspace: their live token stops at once
    r = await client.delete(f"/api/v1/team/members/{editor['user_id']}", headers=creator["headers"])
    assert r.status_code == 204, r.text
    r = await client.get(WORKSPACE, headers=editor["headers"])
    assert r.status_code == 401 and r.json()["error"] == "not_authenticated"
    # sign-out revokes the token itself
    r = await client.post(
        "/api/v1/auth/logout", headers=creator["headers"], json={"refresh_token": creator["refresh_token"]}
    )
    assert r.status_code in (200, 204), r.text
    r = await client.get(WORKSPACE, headers=creator["headers"])
    assert r.status_code == 401 and r.json()["detail"] == "Token has been revoked"


async def test_a_role_change_cuts_off_tokens_carrying_the_old_role(
    client: AsyncTestClient[Any], creator: dict[str, Any]
) -> None:
    admin = await join(client, creator, "admin")
    assert (await read(client, admin))["role"] == "admin"
    r = await client.patch(
        f"/api/v1/team/members/{admin['user_id']}", headers=creator["headers"], json={"role": "viewer"}
    )
    assert r.status_code == 200, r.text
    assert (await client.get(WORKSPACE, headers=admin["headers"])).status_code == 401


async def test_a_lost_version_is_agreed_again_before_the_read(
    client: AsyncTestClient[Any], redis: aioredis.Redis
) -> None:
    who = await register_and_login(client, "fresh")
    cid = uuid.UUID(who["workspace_id"])
    copy_key, version_key = WORKSPACE_READ.keys(cid)
    await read(client, who)
    await redis.delete(version_key)  # Redis lost the version (eviction, restart): the old copy is no one's
    assert WORKSPACE_READ.valid(await redis.get(copy_key), await redis.get(version_key)) is None
    assert (await read(client, who))["id"] == str(cid)
    assert WORKSPACE_READ.valid(await redis.get(copy_key), await redis.get(version_key)) is not None
