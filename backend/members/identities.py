"""One member per person, reached through several channel identities: linking and merging happen here only.

A member is found by the creator's own id for them (`members.external_id`, signed by the creator's site)
or by a channel address (`member_identities`: the widget's visitor id now; Telegram chats and WhatsApp ids
next). Rules:
- an anonymous visitor gets a member of their own, with no external id;
- a visitor who identifies joins the member of that external id; if the visitor's member was anonymous,
  it is merged into that member (conversations, facts, enrollments, feedback kept) and its tokens revoked;
- a visitor id that leads to an identified member never opens that member anonymously (someone signed
  out without the widget forgetting them): the visitor id moves to a new anonymous member instead.
Every change to one identity runs under a transaction-scoped advisory lock on it, so two tabs opening a
session at once cannot create two members.

A table that gains a `member_id` column must be handled in `merge` (it lists every one).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Update, and_, delete, exists, select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased
from sqlmodel import col

from backend.auth.sessions import cut_off
from backend.lib.db import after_commit
from backend.lib.platform import Platform
from backend.programs.runtime import RUNNING
from common.enums import Channel, IdentityKind
from common.models import (
    Achievement,
    Conversation,
    Enrollment,
    Member,
    MemberFact,
    MemberIdentity,
    MessageFeedback,
    OutboxMessage,
)


def utcnow() -> datetime:
    return datetime.now(UTC)


async def _lock(db: AsyncSession, creator_id: uuid.UUID, name: str) -> None:
    await db.execute(
        text("SELECT pg_advisory_xact_lock(hashtextextended(:k, 0))"), {"k": f"identity:{creator_id}:{name}"}
    )


async def _new_member(db: AsyncSession, creator_id: uuid.UUID, external_id: str | None = None) -> Member:
    member = Member(creator_id=creator_id, external_id=external_id)
    db.add(member)
    await db.flush()
    return member


async def _identity(db: AsyncSession, kind: IdentityKind, value: str) -> MemberIdentity | None:
    return (
        await db.execute(
            select(MemberIdentity)
            .where(col(MemberIdentity.kind) == kind.value, col(MemberIdentity.value) == value)
            .with_for_update()
        )
    ).scalar_one_or_none()


async def _link(
    db: AsyncSession,
    creator_id: uuid.UUID,
    found: MemberIdentity | None,
    kind: IdentityKind,
    value: str,
    member: Member,
) -> None:
    if found is None:
        db.add(MemberIdentity(creator_id=creator_id, member_id=member.id, kind=kind.value, value=value))
    else:
        found.member_id, found.last_seen_at = member.id, utcnow()
    await db.flush()


async def by_external_id(db: AsyncSession, creator_id: uuid.UUID, external_id: str) -> Member:
    """The member with this external id, made if none: the same id always yields the same member."""
    stmt = (
        insert(Member)
        .values(id=uuid.uuid4(), creator_id=creator_id, external_id=external_id)
        .on_conflict_do_update(index_elements=["creator_id", "external_id"], set_={"external_id": external_id})
        .returning(col(Member.id))
    )
    member_id = (await db.execute(stmt)).scalar_one()
    member = await db.get(Member, member_id, populate_existing=True)
    assert member is not None
    return member


async def for_channel(
    platform: Platform, db: AsyncSession, creator_id: uuid.UUID, kind: IdentityKind, value: str
) -> Member:
    """The anonymous member behind a channel address (made on first sight).

    An address that leads to an identified member opens that member only on channels where the address
    itself proves who writes (a Telegram chat, a WhatsApp number); a widget visitor id does not, so it then
    moves to a new anonymous member."""
    await _lock(db, creator_id, f"{kind.value}:{value}")
    found = await _identity(db, kind, value)
    member = await db.get(Member, found.member_id) if found is not None else None
    if member is not None and (member.external_id is None or kind is not IdentityKind.web_visitor):
        found.last_seen_at = utcnow()  # type: ignore[union-attr]
        return member
    member = await _new_member(db, creator_id)
    await _link(db, creator_id, found, kind, value, member)
    return member


async def identify(
    platform: Platform,
    db: AsyncSession,
    creator_id: uuid.UUID,
    external_id: str,
    visitor: tuple[IdentityKind, str] | None = None,
) -> tuple[Member, uuid.UUID | None]:
    """The member of a verified external id, with the channel address linked to it; the id of the anonymous
    member merged into it, if there was one."""
    await _lock(db, creator_id, f"external:{external_id}")
    member = await by_external_id(db, creator_id, external_id)
    if visitor is None:
        return member, None
    kind, value = visitor
    await _lock(db, creator_id, f"{kind.value}:{value}")
    found = await _identity(db, kind, value)
    merged: uuid.UUID | None = None
    if found is not None and found.member_id != member.id:
        previous = await db.get(Member, found.member_id)
        if previous is not None and previous.external_id is None:
            await merge(platform, db, previous, member)
            merged = previous.id
    await _link(db, creator_id, found, kind, value, member)
    return member, merged


async def merge(platform: Platform, db: AsyncSession, source: Member, target: Member) -> None:
    """Fold `source` (an anonymous member) into `target`: its history, memory, programs and addresses move;
    then it is deleted and its tokens stop working."""
    s, t = source.id, target.id

    def move(model: Any, *extra: Any) -> Update:
        return update(model).where(col(model.member_id) == s, *extra).values(member_id=t)

    await db.execute(move(Conversation))
    await db.execute(move(MemberIdentity))
    await db.execute(move(MessageFeedback))
    await db.execute(move(OutboxMessage))
    same_fact = aliased(MemberFact)
    await db.execute(
        move(
            MemberFact,
            ~exists().where(
                and_(
                    col(same_fact.member_id) == t,
                    col(same_fact.kind) == col(MemberFact.kind),
                    col(same_fact.text) == col(MemberFact.text),
                )
            ),
        )
    )
    # A program both follow: the target's enrollment stays, the visitor's goes (cascade, with its timers).
    running = aliased(Enrollment)
    await db.execute(
        move(
            Enrollment,
            ~(
                col(Enrollment.status).in_(RUNNING)
                & exists().where(
                    and_(
                        col(running.member_id) == t,
                        col(running.program_id) == col(Enrollment.program_id),
                        col(running.status).in_(RUNNING),
                    )
                )
            ),
        )
    )
    await db.execute(
        move(
            Achievement,
            exists().where(and_(col(Enrollment.id) == col(Achievement.enrollment_id), col(Enrollment.member_id) == t)),
        )
    )
    if not target.display_name and source.display_name:
        target.display_name = source.display_name
    if target.timezone == "UTC" and source.timezone != "UTC":
        target.timezone = source.timezone
    await db.execute(delete(Member).where(col(Member.id) == s))
    await db.flush()
    db.expunge(source)

    async def revoke() -> None:  # the merged visitor's tokens and open sockets end
        await cut_off(platform, target.creator_id, s, ttl=platform.settings.member_token_ttl)

    after_commit(db, revoke)


async def seen(
    db: AsyncSession, member: Member, channel: Channel, display_name: str | None = None, timezone: str | None = None
) -> None:
    """The member is here now, on `channel` (where program messages reach them next)."""
    member.last_channel, member.last_seen_at = channel.value, utcnow()
    if display_name:
        member.display_name = display_name
    if timezone:
        member.timezone = timezone
    await db.flush()


async def attach(
    platform: Platform, db: AsyncSession, creator_id: uuid.UUID, kind: IdentityKind, value: str, member: Member
) -> None:
    """Point a channel address at `member` (a Telegram chat opened through the member's link). The address's
    previous member, when anonymous, is merged into `member`, history kept."""
    await _lock(db, creator_id, f"{kind.value}:{value}")
    found = await _identity(db, kind, value)
    if found is not None and found.member_id != member.id:
        previous = await db.get(Member, found.member_id)
        if previous is not None and previous.external_id is None:
            await merge(platform, db, previous, member)
    await _link(db, creator_id, found, kind, value, member)
