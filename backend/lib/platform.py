"""The long-lived clients one API or worker process holds, opened in the lifespan, never at import."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from redis.asyncio import Redis

from backend.lib.cache import connect
from backend.lib.db import Database, create_database
from backend.lib.hotpath.mget import MGetBatcher
from backend.lib.live_sessions import LiveSessions
from backend.lib.security import Passwords, Tokens
from common.settings import Settings

if TYPE_CHECKING:  # built by backend/features.py, which imports the features; only its type is needed here
    from backend.features import Services


@runtime_checkable
class Probed(Protocol):
    """A service the readiness probe reports (`GET /health/ready`)."""

    async def health(self) -> dict[str, Any]: ...


@runtime_checkable
class Closable(Protocol):
    """A service `Platform.close()` closes."""

    async def aclose(self) -> None: ...


@dataclass
class Platform:
    settings: Settings
    db: Database
    redis: Redis
    passwords: Passwords
    tokens: Tokens
    # The per-request revocation MGETs of one loop turn, sent as one (see MGetBatcher).
    mget: MGetBatcher = field(init=False)
    # This process's open sockets, closed when their session is revoked on any worker (Redis pub/sub).
    sessions: LiveSessions = field(init=False)  # open sockets, closed when their session is revoked

    def __post_init__(self) -> None:
        self.mget = MGetBatcher(self.redis)
        self.sessions = LiveSessions(self.redis)
        # The feature services (vector store, embedder, LLM, job queue, ...), attached by `open_services`.
        # Not a dataclass field: Litestar's signature models (msgspec) resolve a dependency's field types at
        # run time, and `Services` is only imported for type checking.
        self._services: Services | None = None

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

    @property
    def services(self) -> Services:
        if self._services is None:
            raise RuntimeError("feature services are not open: call backend.features.open_services(platform)")
        return self._services

    def attach(self, services: Services) -> None:
        self._services = services

    def service_items(self) -> list[tuple[str, object]]:
        """(name, service) of every attached feature service; none before `open_services`."""
        if self._services is None:
            return []
        return [(f.name, getattr(self._services, f.name)) for f in fields(self._services)]

    async def close(self) -> None:
        for _, service in self.service_items():
            if isinstance(service, Closable):
                await service.aclose()
        await self.sessions.aclose()
        await self.redis.aclose()
        await self.db.dispose()
