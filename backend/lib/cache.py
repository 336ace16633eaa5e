"""Redis: the client, tenant-scoped key names, a fixed-window rate limiter, and per-process tenant memos."""

from __future__ import annotations

import time
import uuid
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Any, Generic, TypeVar

import structlog
from redis.asyncio import Redis

from backend.lib.errors import RateLimited
from backend.lib.hotpath.packing import hiredis_packing

log = structlog.get_logger()
T = TypeVar("T")


def tenant_key(kind: str, creator_id: uuid.UUID | str, rest: str = "") -> str:
    """Every tenant key is `{kind}:creator_{id}:{rest}`, so no key of one tenant names another's."""
    return f"{kind}:creator_{creator_id}:{rest}" if rest else f"{kind}:creator_{creator_id}"


def global_key(kind: str, rest: str) -> str:
    """Keys with no tenant yet (login rate limits by IP and email)."""
    return f"{kind}:global:{rest}"


def connect(url: str) -> Redis:
    if url:
        # Short timeouts: with Redis unreachable a request answers 503 in seconds, never hangs.
        client = Redis.from_url(
            url, decode_responses=True, health_check_interval=30, socket_connect_timeout=2, socket_timeout=5
        )
        pool = client.connection_pool  # TCP, TLS or Unix socket, as the URL says
        pool.connection_class = hiredis_packing(pool.connection_class)
        return client
    # In-process fallback for a laptop without redis-server: fine for one process, nothing more.
    import fakeredis

    log.warning("redis_in_process_fallback", reason="no REDIS_URL and no redis-server found")
    return fakeredis.FakeAsyncRedis(decode_responses=True)


async def hit(redis: Redis, key: str, limit: int, window: int) -> None:
    """Count one attempt in a fixed window; raise RateLimited past the limit."""
    pipe = redis.pipeline()
    pipe.incr(key)
    pipe.expire(key, window, nx=True)
    pipe.ttl(key)
    count, _, ttl = await pipe.execute()
    if int(count) > limit:
        raise RateLimited(
            "Too many attempts; try again later",
            extra={"retry_after": max(int(ttl), 1)},
        )


async def redis_info(redis: Redis) -> dict[str, Any]:
    pong = await redis.ping()  # type: ignore[misc]
    return {"ok": bool(pong)}


def new_token() -> str:
    return uuid.uuid4().hex


async def agree_on_token(redis: Redis, key: str) -> str:
    """The version token at `key`, made now if there is none (every process agrees on the first one)."""
    pipe = redis.pipeline()
    pipe.set(key, new_token(), nx=True)
    pipe.get(key)
    return str((await pipe.execute())[1])


class TenantMemo(Generic[T]):
    """Values kept in this process, per tenant, while the tenant's version token in Redis stands.

    A read costs one Redis GET (the token) instead of the loads it saves. A writer calls `changed` after
    its commit: every process (every API worker) reloads on its next read. A reader that loaded just
    before a commit stored its value under the old token, so the next read reloads it: never stale past
    the writer's `changed`. Entries also expire after `ttl` seconds (a writer that died between its
    commit and `changed`), and the least recently used go beyond `size`. Keys are `tenant_key`s, so one
    tenant's entry is never another's.
    """

    def __init__(self, kind: str, size: int = 1024, ttl: float = 300.0) -> None:
        self.kind, self.size, self.ttl = kind, size, ttl
        self._entries: OrderedDict[str, tuple[str, float, T]] = OrderedDict()

    def _token_key(self, creator_id: uuid.UUID) -> str:
        return tenant_key(self.kind, creator_id, "version")

    async def _token(self, redis: Redis, creator_id: uuid.UUID) -> str:
        key = self._token_key(creator_id)
        token = await redis.get(key)
        return str(token) if token is not None else await agree_on_token(redis, key)

    async def get(self, redis: Redis, creator_id: uuid.UUID, name: str, load: Callable[[], Awaitable[T]]) -> T:
        key = tenant_key(self.kind, creator_id, name)
        token = await self._token(redis, creator_id)
        found = self._entries.get(key)
        if found is not None and found[0] == token and time.monotonic() < found[1]:
            self._entries.move_to_end(key)
            return found[2]
        value = await load()
        self._entries[key] = (token, time.monotonic() + self.ttl, value)
        self._entries.move_to_end(key)
        while len(self._entries) > self.size:
            self._entries.popitem(last=False)
        return value

    async def changed(self, redis: Redis, creator_id: uuid.UUID) -> None:
        """Call after committing a change to what this memo holds for the tenant."""
        await redis.set(self._token_key(creator_id), new_token())
