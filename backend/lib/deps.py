"""Request-scoped dependencies: the platform, the caller, and a tenant session committed at the boundary."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Awaitable, Callable
from typing import Any

from litestar import Request
from litestar.di import NamedDependency, Provide
from sqlalchemy.ext.asyncio import AsyncSession

from backend.lib.errors import NotAuthenticated
from backend.lib.platform import Platform
from backend.lib.principal import PREFETCHED, Prefetched, Principal


def provide_platform(request: Request[Any, Any, Any]) -> Platform:
    platform: Platform = request.app.state.platform
    return platform


def provide_principal(request: Request[Any, Any, Any]) -> Principal:
    user = request.scope.get("user")
    if not isinstance(user, Principal):
        raise NotAuthenticated("Sign in first")
    return user


async def provide_db(
    request: Request[Any, Any, Any], platform: NamedDependency[Platform]
) -> AsyncGenerator[AsyncSession, None]:
    """One session per request, scoped to the caller's tenant; committed after the handler returns.

    Litestar runs the code after `yield` before the response is sent, so a failed commit becomes an
    error response, never a false success. Services flush; only this boundary commits. Work that must wait
    for the commit (cache clears, token cut-offs, job queueing) is registered with
    `backend.lib.db.after_commit(db, callback)` and runs right after this commit, before the response.
    """
    user = request.scope.get("user")
    session = platform.db.session(user.tenant if isinstance(user, Principal) else None)
    try:
        yield session
    except BaseException:
        await session.rollback()
        raise
    else:
        await session.commit()
    finally:
        await session.close()


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


DEPENDENCIES = {
    "platform": Provide(provide_platform, sync_to_thread=False),
    "principal": Provide(provide_principal, sync_to_thread=False),
    "db": Provide(provide_db),
}

# Annotated names for handler signatures (Litestar 3 drops inferred dependencies).
Db = NamedDependency[AsyncSession]
Plat = NamedDependency[Platform]
Caller = NamedDependency[Principal]
