"""HTTP endpoints for the twin: persona studio, chat, conversations and consistency review."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from litestar import Controller, get, post, put
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from backend.lib.bounds import VersionParam
from backend.lib.db import after_commit
from backend.lib.deps import Caller, Db, Plat
from backend.lib.errors import NotFound
from backend.lib.openapi import errors
from backend.lib.platform import Platform
from backend.lib.principal import Principal, any_principal, min_role
from backend.twin import persona_store
from backend.twin.chat import check_rate, run_turn
from backend.twin.schemas import (
    ChatIn,
    ChatOut,
    Citation,
    ConversationOut,
    MessageOut,
    PersonaIn,
    PersonaOut,
    PersonaState,
    PersonaVersionRef,
    ProgramStep,
    WeakReply,
)
from common.enums import PrincipalKind, Role
from common.models import Conversation, Message, Persona


def persona_out(p: Persona) -> PersonaOut:
    return PersonaOut(
        p.version,
        p.status,
        p.source,
        p.name,
        p.card,
        list(p.principles),
        dict(p.profile),
        p.llm_card,
        p.created_at,
        p.approved_at,
    )


def chat_out(result: dict[str, Any]) -> ChatOut:
    return ChatOut(
        conversation_id=result["conversation_id"],
        message_id=result["message_id"],
        reply=result["reply"],
        mode=result["mode"],
        grounded=result["grounded"],
        citations=[Citation(**c) for c in result["citations"]],
        consistency=result["consistency"],
        safety=result["safety"],
        program=ProgramStep(**result["program"]) if result.get("program") else None,
    )


def message_out(m: Message) -> MessageOut:
    return MessageOut(
        m.id,
        m.role,
        m.content,
        m.mode,
        m.grounded,
        list(m.citations),
        m.consistency,
        m.safety,
        m.created_at,
        sender=m.sender,
        channel=m.channel,
        author=(m.meta or {}).get("author_name"),
    )


def conversation_out(
    c: Conversation, messages: list[Message] | None = None, low: float | None = None
) -> ConversationOut:
    return ConversationOut(
        c.id,
        c.kind,
        c.title,
        c.member_id,
        c.flagged,
        c.flag_reason,
        c.created_at,
        c.updated_at,
        low,
        [message_out(m) for m in messages] if messages is not None else None,
        taken_over_by=c.taken_over_by,
        taken_over_at=c.taken_over_at,
        handoff_requested_at=c.handoff_requested_at,
        handoff_reason=c.handoff_reason,
    )


def _persona_changed(db: AsyncSession, platform: Platform, principal: Principal, row: Persona) -> PersonaOut:
    """Once the persona change commits, tell the chat's persona caches (they must not reload the old one)."""
    after_commit(db, lambda: persona_store.changed(platform, principal.creator_id))
    return persona_out(row)


class PersonaController(Controller):
    path = "/api/v1/twin"
    tags = ["twin"]
    guards = [min_role(Role.viewer)]

    @get("/persona")
    async def state(self, db: Db, platform: Plat, principal: Caller) -> PersonaState:
        """The newest persona version, which one is approved, all versions, and synthesis progress."""
        rows = list((await db.execute(select(Persona).order_by(col(Persona.version).desc()))).scalars())
        approved = next((p.version for p in rows if p.status == "approved"), None)
        return PersonaState(
            current=persona_out(rows[0]) if rows else None,
            approved_version=approved,
            versions=[PersonaVersionRef(p.version, p.status, p.source, p.created_at) for p in rows],
            synthesis=await persona_store.get_progress(platform, principal.creator_id),
        )

    @get("/persona/versions/{version:int}")
    async def version(self, version: VersionParam, db: Db) -> PersonaOut:
        row = (await db.execute(select(Persona).where(col(Persona.version) == version))).scalar_one_or_none()
        if row is None:
            raise NotFound(f"Persona version {version} not found")
        return persona_out(row)

    @put("/persona", guards=[min_role(Role.editor)])
    async def edit(self, data: JSONBody[PersonaIn], db: Db, platform: Plat, principal: Caller) -> PersonaOut:
        """Save an edited card and principles as a new version (approving it needs an admin)."""
        base = await persona_store.latest(db)
        row = await persona_store.save_version(
            db,
            principal.creator_id,
            name=data.name or (base.name if base else "Coach"),
            card=data.card,
            principles=list(data.principles),
            profile=dict(base.profile) if base else {},
            source="edited",
            created_by=principal.subject_id,
        )
        if data.approve and principal.role is not None and principal.role.at_least(Role.admin):
            row = await persona_store.approve(db, row.version)
        return _persona_changed(db, platform, principal, row)

    @post("/persona/versions/{version:int}/approve", guards=[min_role(Role.admin)], status_code=200)
    async def approve(self, version: VersionParam, db: Db, platform: Plat, principal: Caller) -> PersonaOut:
        return _persona_changed(db, platform, principal, await persona_store.approve(db, version))

    @post("/persona/synthesize", guards=[min_role(Role.editor)], status_code=202, responses=errors(409))
    async def synthesize(self, platform: Plat, principal: Caller) -> dict[str, Any]:
        """Learn the persona from the workspace's ready documents, in the background."""
        await persona_store.set_progress(platform, principal.creator_id, status="queued", progress=0.0, step="Queued")
        await platform.services.jobs.enqueue(
            "synthesize_persona",
            key=f"persona:{principal.creator_id}",
            creator_id=str(principal.creator_id),
            requested_by=str(principal.subject_id),
        )
        return {"status": "queued"}

    @get("/consistency/weakest")
    async def weakest(self, db: Db, limit: Annotated[int, QueryParameter(ge=1, le=100)] = 20) -> list[WeakReply]:
        """The twin replies least like the creator: the first place to look when tuning the persona."""
        rows = await db.execute(
            select(Message)
            .where(col(Message.role) == "assistant", col(Message.consistency).is_not(None))
            .order_by(col(Message.consistency).asc())
            .limit(limit)
        )
        return [
            WeakReply(m.id, m.conversation_id, m.content, float(m.consistency or 0), m.mode, m.created_at)
            for m in rows.scalars()
        ]


class ChatController(Controller):
    path = "/api/v1"
    tags = ["chat"]
    guards = [any_principal]

    @post("/chat", status_code=200, responses=errors(403, 404, 429))
    async def chat(self, data: JSONBody[ChatIn], platform: Plat, principal: Caller) -> ChatOut:
        """One turn with the twin (members: their own conversations; staff: the playground)."""
        await check_rate(platform, principal)
        result = await run_turn(platform, principal, data.message, data.conversation_id, data.client_id)
        return chat_out(result.public())

    @get("/conversations")
    async def conversations(
        self,
        db: Db,
        principal: Caller,
        flagged: FromQuery[bool | None] = None,
        kind: FromQuery[str | None] = None,
        low_consistency: Annotated[float | None, QueryParameter(ge=0, le=1)] = None,
        handoff: Annotated[
            bool | None, QueryParameter(description="only those whose member asked for a person")
        ] = None,
        taken_over: Annotated[bool | None, QueryParameter(description="only those a creator holds")] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=200)] = 50,
    ) -> list[ConversationOut]:
        """Staff see the workspace's conversations (filter flagged ones, handoff requests, taken over); a member
        sees their own."""
        low = func.min(Message.consistency).label("low")
        query = (
            select(Conversation, low)
            .outerjoin(
                Message, (col(Message.conversation_id) == col(Conversation.id)) & (col(Message.role) == "assistant")
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
        if handoff is not None:
            requested = col(Conversation.handoff_requested_at)
            query = query.where(requested.is_not(None) if handoff else requested.is_(None))
        if taken_over is not None:
            holder = col(Conversation.taken_over_by)
            query = query.where(holder.is_not(None) if taken_over else holder.is_(None))
        if low_consistency is not None:
            query = query.having(func.min(Message.consistency) < low_consistency)
        return [conversation_out(c, low=lo) for c, lo in (await db.execute(query)).all()]

    @get("/conversations/{conversation_id:uuid}")
    async def conversation(self, conversation_id: FromPath[uuid.UUID], db: Db, principal: Caller) -> ConversationOut:
        query = select(Conversation).where(col(Conversation.id) == conversation_id)
        if principal.kind is PrincipalKind.member:
            query = query.where(col(Conversation.member_id) == principal.subject_id)
        conv = (await db.execute(query)).scalar_one_or_none()
        if conv is None:
            raise NotFound("Conversation not found")
        messages = list(
            (
                await db.execute(
                    select(Message).where(col(Message.conversation_id) == conv.id).order_by(col(Message.created_at))
                )
            ).scalars()
        )
        return conversation_out(conv, messages)
