"""Who is calling: bearer-token authentication (used by the edge middleware and sockets) and the role guards."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler
from redis.exceptions import RedisError

from backend.lib.cache import tenant_key
from backend.lib.errors import Forbidden, NotAuthenticated, redis_unavailable
from backend.lib.hotpath.readcache import Prefetched, TenantReadCache
from backend.lib.memo import BoundedMemo
from backend.lib.platform import Platform
from backend.lib.security import Claims
from backend.lib.tenancy import TenantContext
from common.enums import PrincipalKind, Role


@dataclass(frozen=True, slots=True)
class Principal:
    kind: PrincipalKind
    subject_id: uuid.UUID  # a staff user's id or a member's id
    creator_id: uuid.UUID
    role: Role | None
    jti: uuid.UUID
    exp: int

    @property
    def tenant(self) -> TenantContext:
        user = self.subject_id if self.kind is PrincipalKind.staff else None
        return TenantContext(self.creator_id, user)


def revoked_jti_key(creator_id: uuid.UUID, jti: uuid.UUID) -> str:
    return tenant_key("revoked", creator_id, f"jti:{jti}")


def revoked_subject_key(creator_id: uuid.UUID, subject_id: uuid.UUID) -> str:
    """Holds the time (seconds, 3 decimals) a staff user was removed or changed role: tokens issued before it
    stop working. Millisecond resolution matters: whole seconds let a token minted earlier in the same second
    survive the change."""
    return tenant_key("revoked", creator_id, f"subject:{subject_id}")


# A verified token's principal and revocation keys, by its exact text: the same token comes back on every
# request, and both follow from its claims alone. Used only after `Tokens.verify` accepted the token.
_DERIVED: BoundedMemo[str, tuple[Principal, tuple[str, str]]] = BoundedMemo(4096)


def _derived(token: str, claims: Claims) -> tuple[Principal, tuple[str, str]]:
    found = _DERIVED.get(token)
    if found is None:
        kind = PrincipalKind.member if claims.typ == "member" else PrincipalKind.staff
        try:
            role = Role(claims.role) if claims.role else None
        except ValueError as exc:  # validly signed, but by a version that knew other roles (or a forged secret)
            raise NotAuthenticated("The token names a role this server does not know; sign in again") from exc
        principal = Principal(kind, claims.sub, claims.cid, role, claims.jti, claims.exp)
        keys = (revoked_jti_key(claims.cid, claims.jti), revoked_subject_key(claims.cid, claims.sub))
        found = _DERIVED.put(token, (principal, keys))
    return found


async def authenticate(platform: Platform, token: str) -> Principal:
    """Verify an access or member token and check revocation in one Redis round trip."""
    return (await authenticate_prefetching(platform, token, None))[0]


async def authenticate_prefetching(
    platform: Platform, token: str, cache: TenantReadCache | None
) -> tuple[Principal, Prefetched | None]:
    """`authenticate`, and in the same MGET the caller's tenant's copy in `cache` (if any).

    Revocation is decided before anything cached is handed out: a revoked token never reads a copy.
    """
    claims = platform.tokens.verify(token, typ=("access", "member"))
    principal, keys = _derived(token, claims)
    try:
        found = await platform.mget.mget((*keys, *cache.keys(claims.cid)) if cache else keys)
    except RedisError as exc:  # revocation cannot be checked: refuse for now (503), never let the token through
        raise redis_unavailable() from exc
    jti_revoked, subject_revoked_at = found[0], found[1]
    if jti_revoked or (subject_revoked_at and claims.iat < float(subject_revoked_at)):
        raise NotAuthenticated("Token has been revoked")
    if cache is None:
        return principal, None
    return principal, Prefetched(cache, cache.valid(found[2], found[3]), found[3])


def staff(connection: ASGIConnection[Any, Any, Any, Any]) -> Principal:
    principal = connection.user
    if not isinstance(principal, Principal) or principal.kind is not PrincipalKind.staff:
        raise Forbidden("This needs a staff account of the workspace")
    return principal


def has_role(principal: Principal, minimum: Role) -> bool:
    return principal.kind is PrincipalKind.staff and principal.role is not None and principal.role.at_least(minimum)


def require_role(connection: ASGIConnection[Any, Any, Any, Any], minimum: Role) -> Principal:
    """The caller, if staff with at least `minimum` role (what the `min_role` guard checks)."""
    principal = staff(connection)
    if not has_role(principal, minimum):
        raise Forbidden(f"This needs the {minimum.value} role or higher")
    return principal


def min_role(minimum: Role) -> Any:
    """A Litestar guard: the caller is staff with at least `minimum` role.

    Litestar copies the route handler for every guard call (~10 us a request): a hot handler may call
    `require_role` itself instead."""

    # async on purpose: Litestar runs a sync guard through a thread pool (sync_to_thread) on every request.
    async def guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        if not _preflight(connection):
            require_role(connection, minimum)

    guard.__name__ = f"min_role_{minimum.value}"
    return guard


async def any_principal(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    if not _preflight(connection) and not isinstance(connection.user, Principal):
        raise NotAuthenticated("Sign in first")


async def member_only(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    """A Litestar guard: the caller holds a member token (the member's own side, `/api/v1/me`)."""
    if _preflight(connection):
        return
    principal = connection.user
    if not isinstance(principal, Principal) or principal.kind is not PrincipalKind.member:
        raise Forbidden("This needs a member token (from POST /api/v1/widget/sessions)")


def _preflight(connection: ASGIConnection[Any, Any, Any, Any]) -> bool:
    """OPTIONS is answered without a caller (browsers send preflights without credentials); the guards of
    the route's other methods used to read the missing user and answer 500."""
    scope = getattr(connection, "scope", None) or {}
    return scope.get("method") == "OPTIONS"
