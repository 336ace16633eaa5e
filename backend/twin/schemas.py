from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

import msgspec

from common.enums import (
    Channel,
    ConversationKind,
    EnrollmentStatus,
    MessageRole,
    MessageSender,
    PersonaSource,
    PersonaStatus,
    ReplyMode,
)
from common.models import Conversation, Message, Persona

Text = Annotated[str, msgspec.Meta(min_length=1, max_length=4000)]


class ChatIn(msgspec.Struct, forbid_unknown_fields=True):
    message: Text
    conversation_id: uuid.UUID | None = None
    client_id: Annotated[str, msgspec.Meta(min_length=1, max_length=64)] | None = None


class Citation(msgspec.Struct, kw_only=True):
    document_id: str
    document_title: str
    location: dict[str, Any]
    text: str
    chunk_id: str | None = None


class ProgramStep(msgspec.Struct, kw_only=True):
    enrollment_id: str | None
    current_node: str | None
    status: EnrollmentStatus | None
    messages: list[str]


class ChatOut(msgspec.Struct, kw_only=True):
    conversation_id: str
    message_id: str
    reply: str
    mode: ReplyMode
    grounded: bool
    citations: list[Citation]
    consistency: float | None  # null here: scored after the reply is sent (see the conversation)
    safety: str | None = None
    program: ProgramStep | None = None  # the program step this message answered, if any


class PersonaOut(msgspec.Struct, kw_only=True):
    version: int
    status: PersonaStatus
    source: PersonaSource
    name: str
    card: str
    principles: list[str]
    profile: dict[str, Any]
    llm_card: str | None
    created_at: datetime
    approved_at: datetime | None


class PersonaVersionRef(msgspec.Struct, kw_only=True):
    version: int
    status: PersonaStatus
    source: PersonaSource
    created_at: datetime


class PersonaState(msgspec.Struct, kw_only=True):
    current: PersonaOut | None
    approved_version: int | None
    versions: list[PersonaVersionRef]
    synthesis: dict[str, Any]


class PersonaIn(msgspec.Struct, forbid_unknown_fields=True):
    card: Annotated[str, msgspec.Meta(min_length=1, max_length=20000)]
    principles: Annotated[
        list[Annotated[str, msgspec.Meta(min_length=1, max_length=500)]], msgspec.Meta(max_length=50)
    ] = []
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=200)] | None = None
    approve: bool = False


class MessageOut(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    role: MessageRole
    content: str
    mode: ReplyMode | None
    grounded: bool | None
    citations: list[dict[str, Any]]
    consistency: float | None
    safety: str | None
    created_at: datetime
    sender: MessageSender  # who spoke
    channel: Channel  # where
    author: str | None = None  # a creator's name on their own replies


class ConversationOut(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    kind: ConversationKind
    title: str
    member_id: uuid.UUID | None
    flagged: bool
    flag_reason: str | None
    created_at: datetime
    updated_at: datetime
    min_consistency: float | None = None
    messages: list[MessageOut] | None = None
    taken_over_by: uuid.UUID | None = None  # the staff user holding it (the twin is silent)
    taken_over_at: datetime | None = None
    handoff_requested_at: datetime | None = None  # the member asked for a person
    handoff_reason: str | None = None


class WeakReply(msgspec.Struct, kw_only=True):
    message_id: uuid.UUID
    conversation_id: uuid.UUID
    content: str
    consistency: float
    mode: ReplyMode | None
    created_at: datetime


def persona_out(p: Persona) -> PersonaOut:
    return PersonaOut(
        version=p.version,
        status=p.status,
        source=p.source,
        name=p.name,
        card=p.card,
        principles=list(p.principles),
        profile=dict(p.profile),
        llm_card=p.llm_card,
        created_at=p.created_at,
        approved_at=p.approved_at,
    )


def persona_version_ref(p: Persona) -> PersonaVersionRef:
    return PersonaVersionRef(version=p.version, status=p.status, source=p.source, created_at=p.created_at)


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


def _mode(m: Message) -> ReplyMode | None:
    return ReplyMode(m.mode) if m.mode else None


def message_out(m: Message) -> MessageOut:
    return MessageOut(
        id=m.id,
        role=m.role,
        content=m.content,
        mode=_mode(m),
        grounded=m.grounded,
        citations=list(m.citations),
        consistency=m.consistency,
        safety=m.safety,
        created_at=m.created_at,
        sender=MessageSender(m.sender),
        channel=Channel(m.channel),
        author=(m.meta or {}).get("author_name"),
    )


def conversation_out(
    c: Conversation, messages: list[Message] | None = None, low: float | None = None
) -> ConversationOut:
    return ConversationOut(
        id=c.id,
        kind=c.kind,
        title=c.title,
        member_id=c.member_id,
        flagged=c.flagged,
        flag_reason=c.flag_reason,
        created_at=c.created_at,
        updated_at=c.updated_at,
        min_consistency=low,
        messages=[message_out(m) for m in messages] if messages is not None else None,
        taken_over_by=c.taken_over_by,
        taken_over_at=c.taken_over_at,
        handoff_requested_at=c.handoff_requested_at,
        handoff_reason=c.handoff_reason,
    )


def weak_reply_out(m: Message) -> WeakReply:
    return WeakReply(
        message_id=m.id,
        conversation_id=m.conversation_id,
        content=m.content,
        consistency=float(m.consistency or 0),
        mode=_mode(m),
        created_at=m.created_at,
    )
