"""Members: a creator's end users, upserted by the creator's own external id."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from backend.auth import sessions
from backend.lib.errors import NotFound
from backend.lib.platform import Platform
from backend.lib.validation import check_timezone
from backend.members.schemas import MemberIn
from common.models import Member


async def upsert(db: AsyncSession, creator_id: uuid.UUID, data: MemberIn) -> Member:
    """Create a member, or update the one with this external id."""
    check_timezone(data.timezone)
    stmt = (
        insert(Member)
        .values(
            id=uuid.uuid4(),
            creator_id=creator_id,
            external_id=data.external_id,
            display_name=data.display_name,
            timezone=data.timezone,
        )
        .on_conflict_do_update(
            index_elements=["creator_id", "external_id"],
            set_={"display_name": data.display_name, "timezone": data.timezone},
        )
        .returning(col(Member.id))
    )
    member_id = (await db.execute(stmt)).scalar_one()
    member = await db.get(Member, member_id, populate_existing=True)
    assert member is not None
    return member


async def listing(db: AsyncSession, limit: int = 500) -> list[Member]:
    rows = await db.execute(select(Member).order_by(col(Member.created_at).desc()).limit(limit))
    return list(rows.scalars())


async def get(db: AsyncSession, member_id: uuid.UUID) -> Member:
    member = await db.get(Member, member_id)
    if member is None:
        raise NotFound("Member not found")
    return member


async def issue_token(platform: Platform, db: AsyncSession, creator_id: uuid.UUID, member_id: uuid.UUID) -> str:
    """A token that lets this member (and only this member) chat with the twin."""
    await get(db, member_id)
    token, _ = platform.tokens.issue(
        typ="member", sub=member_id, cid=creator_id, ttl=platform.settings.member_token_ttl
    )
    return token


async def revoke_sessions(platform: Platform, db: AsyncSession, creator_id: uuid.UUID, member_id: uuid.UUID) -> None:
    """Every token of the member issued so far stops working; their open sockets close on every worker."""
    await get(db, member_id)
    await sessions.cut_off(platform, creator_id, member_id, ttl=platform.settings.member_token_ttl)
