"""Request-scoped dependencies: the platform, the caller, and a tenant session committed at the boundary."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Any

from litestar import Request
from litestar.di import NamedDependency, Provide
from sqlalchemy.ext.asyncio import AsyncSession

from backend.lib.errors import NotAuthenticated
from backend.lib.platform import Platform
from backend.lib.principal import Principal


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


DEPENDENCIES = {
    "platform": Provide(provide_platform, sync_to_thread=False),
    "principal": Provide(provide_principal, sync_to_thread=False),
    "db": Provide(provide_db),
}

# Annotated names for handler signatures (Litestar 3 drops inferred dependencies).
Db = NamedDependency[AsyncSession]
Plat = NamedDependency[Platform]
Caller = NamedDependency[Principal]
