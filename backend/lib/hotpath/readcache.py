"""A tenant's copy of a hot read in Redis, fetched in the MGET the revocation check makes anyway.

On a hit the read costs no PostgreSQL at all and no extra Redis round trip: with it the api bench's
`GET /api/v1/workspace` does ~50% of a bare hello world's requests per second (47-60% over five runs); with
the cache off (`READ_CACHE_TTL=0`, a PostgreSQL transaction every read) ~12-14%, at the floor of the round
trips such a read needs.

A route opts in with `opt={READ_CACHE: <its TenantReadCache>}`; the edge middleware then asks for the copy
in the revocation MGET and leaves what it found at `scope[PREFETCHED]`; the handler calls `read_through`.
Writers call the cache's `changed` after their commit (`after_commit`).
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from litestar import Request
from redis.asyncio import Redis

from backend.lib.cache import agree_on_token, new_token, tenant_key
from backend.lib.memo import BoundedMemo

if TYPE_CHECKING:
    from backend.lib.platform import Platform
    from backend.lib.principal import Principal

# A route handler's `opt` key naming the `TenantReadCache` whose keys ride in the revocation MGET.
READ_CACHE = "read_cache"
# The scope key where the middleware leaves what that MGET found for the handler.
PREFETCHED = "coachtwin.prefetched"


class TenantReadCache:
    """A tenant's copy of one read in Redis, looked up in the same MGET as the caller's revocation check.

    Two keys per tenant: `{kind}:creator_{id}` holds `<version>|<payload>`, `{kind}:creator_{id}:version`
    the version token, which every writer replaces after its commit (`changed`). A copy counts only when its
    tag equals the version read in the same MGET. A reader takes the version BEFORE it reads PostgreSQL and
    tags its copy with it, so a copy filled from a read that raced a write carries the replaced version and
    is never served; a copy of a newer read tagged with an older version only costs a miss. Copies expire
    after `ttl` seconds too (a writer that died between its commit and `changed`). Copies are filled only
    from a read made as the tenant (RLS), and keys are `tenant_key`s, so no tenant's copy is another's.
    """

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._keys: BoundedMemo[uuid.UUID, tuple[str, str]] = BoundedMemo(4096)  # built once per tenant

    def keys(self, creator_id: uuid.UUID) -> tuple[str, str]:
        found = self._keys.get(creator_id)
        if found is None:
            copy, version = tenant_key(self.kind, creator_id), tenant_key(self.kind, creator_id, "version")
            found = self._keys.put(creator_id, (copy, version))
        return found

    @staticmethod
    def valid(copy: str | None, version: str | None) -> str | None:
        """The payload of `copy` if it was filled under `version`, else None."""
        if copy is None or version is None:
            return None
        tag, _, payload = copy.partition("|")
        return payload if tag == version else None

    async def version(self, redis: Redis, creator_id: uuid.UUID) -> str:
        """The version to tag a fill with when the MGET found none (first read since Redis started)."""
        return await agree_on_token(redis, self.keys(creator_id)[1])

    async def fill(self, redis: Redis, creator_id: uuid.UUID, version: str, payload: str, ttl: int) -> None:
        await redis.set(self.keys(creator_id)[0], f"{version}|{payload}", ex=ttl)

    async def changed(self, redis: Redis, creator_id: uuid.UUID) -> None:
        """Call after committing a change to what this read returns for the tenant."""
        copy, version = self.keys(creator_id)
        pipe = redis.pipeline()
        pipe.set(version, new_token())
        pipe.delete(copy)
        await pipe.execute()


@dataclass(frozen=True, slots=True)
class Prefetched:
    """What the revocation MGET found of a route's `TenantReadCache`: the copy (if still valid) and version."""

    cache: TenantReadCache
    payload: str | None
    version: str | None


async def read_through(
    request: Request[Any, Any, Any], platform: Platform, principal: Principal, load: Callable[[], Awaitable[str | None]]
) -> str | None:
    """The route's cached read (its `TenantReadCache`, named in the handler's `opt`): the copy the auth
    middleware found in the revocation MGET, or `load()` (a read made as the caller's tenant, under RLS),
    stored for the tenant's next caller. With the cache off (READ_CACHE_TTL=0) every call loads."""
    pre: Prefetched | None = request.scope.get(PREFETCHED)  # type: ignore[assignment]
    if pre is None:
        return await load()
    if pre.payload is not None:
        return pre.payload
    # The version is taken before the load: a write committed after it replaces it, so this fill is never served.
    version = pre.version or await pre.cache.version(platform.redis, principal.creator_id)
    payload = await load()
    if payload is not None:
        await pre.cache.fill(platform.redis, principal.creator_id, version, payload, platform.settings.read_cache_ttl)
    return payload
