"""Conversations and messages: who owns which (a member talks in their own; staff chat in their playground),
the recent turns a chat reply reads, and the listings the API serves."""

from __future__ import annotations

import json
import uuid
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from backend.lib.cache import tenant_key
from backend.lib.errors import NotFound
from backend.lib.platform import Platform
from backend.lib.principal import Principal
from common.enums import ConversationKind, MessageRole, PrincipalKind
from common.models import Conversation, Message

CACHED_TURNS = 20
CACHE_TTL = 6 * 3600


def owner_filter(principal: Principal) -> Any:
    if principal.kind is PrincipalKind.member:
        return col(Conversation.member_id) == principal.subject_id
    return (col(Conversation.staff_user_id) == principal.subject_id) & (
        col(Conversation.kind) == ConversationKind.playground
    )


async def open_for_chat(
    db: AsyncSession, principal: Principal, conversation_id: uuid.UUID | None, first_text: str
) -> tuple[Conversation, bool]:
    """The caller's conversation (404 for anyone else's, even inside the workspace), or a new one (True).

    Without an id a new conversation opens; a member's chat continues theirs by passing its id (the widget
    reads it from `GET /api/v1/me`), and `latest_member_conversation` finds it for channel adapters."""
    if conversation_id is not None:
        found = (
            await db.execute(
                select(Conversation)
                .where(col(Conversation.id) == conversation_id, owner_filter(principal))
                .with_for_update()
            )
        ).scalar_one_or_none()
        if found is None:
            raise NotFound("Conversation not found")
        return found, False
    member = principal.kind is PrincipalKind.member
    conv = Conversation(
        creator_id=principal.creator_id,
        member_id=principal.subject_id if member else None,
        staff_user_id=None if member else principal.subject_id,
        kind=ConversationKind.member if member else ConversationKind.playground,
        title=first_text[:80],
    )
    db.add(conv)
    await db.flush()
    return conv, True


async def latest_member_conversation(db: AsyncSession, member_id: uuid.UUID, lock: bool = False) -> Conversation | None:
    """The member's current conversation: the one they, a creator or their programs spoke in last."""
    query = (
        select(Conversation)
        .where(col(Conversation.member_id) == member_id, col(Conversation.kind) == ConversationKind.member)
        .order_by(col(Conversation.updated_at).desc())
        .limit(1)
    )
    found: Conversation | None = (await db.execute(query.with_for_update() if lock else query)).scalar_one_or_none()
    return found


def _history_key(creator_id: uuid.UUID, conversation_id: uuid.UUID) -> str:
    return tenant_key("chat", creator_id, f"conv:{conversation_id}")


async def recent_history(
    platform: Platform, db: AsyncSession, creator_id: uuid.UUID, conversation_id: uuid.UUID
) -> list[tuple[str, str]]:
    """The last turns, oldest first: from Redis when cached, else from PostgreSQL (and cached)."""
    key = _history_key(creator_id, conversation_id)
    cached = await platform.redis.lrange(key, 0, -1)  # type: ignore[misc]
    if cached:
        return [tuple(json.loads(item)) for item in cached]  # type: ignore[misc]
    rows = (
        await db.execute(
            select(Message.role, Message.content)  # type: ignore[call-overload]
            .where(col(Message.conversation_id) == conversation_id)
            .order_by(col(Message.created_at).desc())
            .limit(CACHED_TURNS)
        )
    ).all()
    history = [(r[0], r[1]) for r in reversed(rows)]
    if history:
        await remember(platform, creator_id, conversation_id, history)
    return history


async def remember(
    platform: Platform, creator_id: uuid.UUID, conversation_id: uuid.UUID, turns: list[tuple[str, str]]
) -> None:
    key = _history_key(creator_id, conversation_id)
    pipe = platform.redis.pipeline()
    pipe.rpush(key, *[json.dumps(t) for t in turns])
    pipe.ltrim(key, -CACHED_TURNS, -1)
    pipe.expire(key, CACHE_TTL)
    await pipe.execute()


async def listing(
    db: AsyncSession,
    principal: Principal,
    *,
    flagged: bool | None,
    kind: str | None,
    low_consistency: float | None,
    limit: int,
    handoff: bool | None = None,
    taken_over: bool | None = None,
) -> list[tuple[Conversation, float | None]]:
    """Staff see the workspace's conversations; a member sees their own. Each with its lowest reply score."""
    low = func.min(Message.consistency).label("low")
    query = (
        select(Conversation, low)
        .outerjoin(
            Message,
            (col(Message.conversation_id) == col(Conversation.id)) & (col(Message.role) == MessageRole.assistant),
        )
        .group_by(col(Conversation.id))
        .order_by(col(Conversation.updated_at).desc())
        .limit(limit)
    )
    if principal.kind is PrincipalKind.member:
        query = query.where(col(Conversation.member_id) == principal.subject_id)
    if flagged is not None:
        query = query.where(col(Conversation.flagged) == flagged)
    if kind:
        query = query.where(col(Conversation.kind) == kind)
    if low_consistency is not None:
        query = query.having(func.min(Message.consistency) < low_consistency)
    if handoff is not None:
        requested = col(Conversation.handoff_requested_at)
        query = query.where(requested.is_not(None) if handoff else requested.is_(None))
    if taken_over is not None:
        holder = col(Conversation.taken_over_by)
        query = query.where(holder.is_not(None) if taken_over else holder.is_(None))
    return [(c, lo) for c, lo in (await db.execute(query)).all()]


async def visible(db: AsyncSession, principal: Principal, conversation_id: uuid.UUID) -> Conversation:
    """A conversation of the workspace (staff) or the member's own (a member); 404 otherwise."""
    query = select(Conversation).where(col(Conversation.id) == conversation_id)
    if principal.kind is PrincipalKind.member:
        query = query.where(col(Conversation.member_id) == principal.subject_id)
    conv = (await db.execute(query)).scalar_one_or_none()
    if conv is None:
        raise NotFound("Conversation not found")
    return conv


async def owned(db: AsyncSession, principal: Principal, conversation_id: uuid.UUID | None) -> Conversation | None:
    """The caller's own conversation (the member's, or the staff user's playground), or None."""
    query = select(Conversation).where(col(Conversation.id) == conversation_id, owner_filter(principal))
    return (await db.execute(query)).scalar_one_or_none()


async def messages(db: AsyncSession, conversation_id: uuid.UUID, after: uuid.UUID | None = None) -> list[Message]:
    """The conversation's messages, oldest first; only those after the message `after` when it is one of them."""
    query = select(Message).where(col(Message.conversation_id) == conversation_id).order_by(col(Message.created_at))
    if after is not None:
        anchor = await db.get(Message, after)
        if anchor is not None and anchor.conversation_id == conversation_id:
            query = query.where(col(Message.created_at) > anchor.created_at)
    return list((await db.execute(query)).scalars())


async def weakest_replies(db: AsyncSession, limit: int) -> list[Message]:
    """The twin replies least like the creator."""
    rows = await db.execute(
        select(Message)
        .where(col(Message.role) == MessageRole.assistant, col(Message.consistency).is_not(None))
        .order_by(col(Message.consistency).asc())
        .limit(limit)
    )
    return list(rows.scalars())
