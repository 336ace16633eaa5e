"""The long-lived clients one API or worker process holds, opened in the lifespan, never at import."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from redis.asyncio import Redis

from backend.lib.cache import MGetBatcher, connect
from backend.lib.db import Database, create_database
from backend.lib.live_sessions import LiveSessions
from backend.lib.security import Passwords, Tokens
from common.settings import Settings


@dataclass
class Platform:
    settings: Settings
    db: Database
    redis: Redis
    passwords: Passwords
    tokens: Tokens
    # Feature services register themselves here (vector store, embedder, LLM, job queue).
    extras: dict[str, Any] = field(default_factory=dict)
    # The per-request revocation MGETs of one loop turn, sent as one (see MGetBatcher).
    mget: MGetBatcher = field(init=False)
    # This process's open sockets, closed when their session is revoked on any worker (Redis pub/sub).
    live: LiveSessions = field(init=False)

    def __post_init__(self) -> None:
        self.mget = MGetBatcher(self.redis)
        self.live = LiveSessions(self.redis)

    @classmethod
    def open(cls, settings: Settings) -> Platform:
        if not settings.database_url:
            raise RuntimeError(
                "DATABASE_URL is not set: start through `coachtwin api` / `just api`, which starts "
                "an embedded PostgreSQL when no server is configured"
            )
        return cls(
            settings=settings,
            db=create_database(settings.database_url, settings.db_pool_size),
            redis=connect(settings.redis_url),
            passwords=Passwords(settings),
            tokens=Tokens(settings),
        )

    async def close(self) -> None:
        for extra in self.extras.values():
            closer = getattr(extra, "aclose", None)
            if closer is not None:
                await closer()
        await self.live.aclose()
        await self.redis.aclose()
        await self.db.dispose()
