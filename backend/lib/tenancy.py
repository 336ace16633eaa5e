"""Tenant scoping in one place: which workspace (and user) a transaction acts for.

The database enforces isolation with row-level security; this module only tells it who is asking.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncSession

TENANT_KEY = "tenant"

_SET = text("SELECT set_config('app.current_creator_id', :cid, true), set_config('app.current_user_id', :uid, true)")


@dataclass(frozen=True, slots=True)
class TenantContext:
    creator_id: uuid.UUID | None
    user_id: uuid.UUID | None = None


def _params(ctx: TenantContext | None) -> dict[str, str]:
    cid = str(ctx.creator_id) if ctx and ctx.creator_id else ""
    uid = str(ctx.user_id) if ctx and ctx.user_id else ""
    return {"cid": cid, "uid": uid}


def apply_tenant(connection: Connection, ctx: TenantContext | None) -> None:
    connection.execute(_SET, _params(ctx))


async def switch_tenant(session: AsyncSession, ctx: TenantContext) -> None:
    """Point a session at another tenant, now and for its later transactions.

    Used where the tenant is born inside the request (registration, accepting an invitation).
    """
    session.info[TENANT_KEY] = ctx
    if session.in_transaction():
        await session.execute(_SET, _params(ctx))
