"""Redis: the client, tenant-scoped key names, and a fixed-window rate limiter."""

from __future__ import annotations

import uuid
from typing import Any

import structlog
from redis.asyncio import Redis

from backend.lib.errors import RateLimited

log = structlog.get_logger()


def tenant_key(kind: str, creator_id: uuid.UUID | str, rest: str = "") -> str:
    """Every tenant key is `{kind}:creator_{id}:{rest}`, so no key of one tenant names another's."""
    return f"{kind}:creator_{creator_id}:{rest}" if rest else f"{kind}:creator_{creator_id}"


def global_key(kind: str, rest: str) -> str:
    """Keys with no tenant yet (login rate limits by IP and email)."""
    return f"{kind}:global:{rest}"


def connect(url: str) -> Redis:
    if url:
        return Redis.from_url(url, decode_responses=True, health_check_interval=30)
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
