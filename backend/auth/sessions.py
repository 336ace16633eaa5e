"""Ending sessions: a user's (or member's) tokens in a workspace stop working, everywhere, at once."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from backend.lib.live_sessions import publish_revocation
from backend.lib.platform import Platform
from backend.lib.principal import Principal, revoked_jti_key, revoked_subject_key
from backend.lib.tenancy import TenantContext, switch_tenant
from common.models import RefreshToken


async def cut_off(platform: Platform, creator_id: uuid.UUID, subject_id: uuid.UUID, ttl: int | None = None) -> None:
    """Tokens of `subject_id` in `creator_id` issued before now stop working (checked on every request), and
    the sockets opened with them close on every worker.

    `ttl`: how long the mark must last, i.e. the longest life of a token it must stop (staff access tokens
    by default; member tokens live longer)."""
    await platform.redis.set(
        revoked_subject_key(creator_id, subject_id),
        f"{time.time():.3f}",
        ex=(ttl or platform.settings.access_token_ttl) + 5,
    )
    await publish_revocation(platform.redis, creator_id, subject_id=subject_id)


async def revoke_access_token(platform: Platform, principal: Principal) -> None:
    """This one token stops working (sign-out), and its sockets close."""
    remaining = max(principal.exp - int(time.time()), 1)
    await platform.redis.set(revoked_jti_key(principal.creator_id, principal.jti), "1", ex=remaining)
    await publish_revocation(platform.redis, principal.creator_id, jti=principal.jti)


async def revoke_refresh_tokens(db: AsyncSession, creator_id: uuid.UUID, user_id: uuid.UUID) -> None:
    """Every refresh token of the user in that workspace is spent: refreshing with one answers 401."""
    await switch_tenant(db, TenantContext(creator_id, user_id))
    await db.execute(
        update(RefreshToken)
        .where(col(RefreshToken.user_id) == user_id, col(RefreshToken.revoked_at).is_(None))
        .values(revoked_at=datetime.now(UTC))
    )
