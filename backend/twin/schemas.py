from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

import msgspec

Text = Annotated[str, msgspec.Meta(min_length=1, max_length=4000)]


class ChatIn(msgspec.Struct, forbid_unknown_fields=True):
    message: Text
    conversation_id: uuid.UUID | None = None
    client_id: Annotated[str, msgspec.Meta(min_length=1, max_length=64)] | None = None


class Citation(msgspec.Struct):
    document_id: str
    document_title: str
    location: dict[str, Any]
    text: str
    chunk_id: str | None = None


class ProgramStep(msgspec.Struct):
    enrollment_id: str | None
    current_node: str | None
    status: str | None
    messages: list[str]


class ChatOut(msgspec.Struct):
    conversation_id: str
    message_id: str
    reply: str
    mode: str
    grounded: bool
    citations: list[Citation]
    consistency: float | None  # null here: scored after the reply is sent (see the conversation)
    safety: str | None = None
    program: ProgramStep | None = None  # the program step this message answered, if any


class PersonaOut(msgspec.Struct):
    version: int
    status: str
    source: str
    name: str
    card: str
    principles: list[str]
    profile: dict[str, Any]
    llm_card: str | None
    created_at: datetime
    approved_at: datetime | None


class PersonaVersionRef(msgspec.Struct):
    version: int
    status: str
    source: str
    created_at: datetime


class PersonaState(msgspec.Struct):
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


class MessageOut(msgspec.Struct):
    id: uuid.UUID
    role: str
    content: str
    mode: str | None
    grounded: bool | None
    citations: list[dict[str, Any]]
    consistency: float | None
    safety: str | None
    created_at: datetime
    sender: str = "twin"  # who spoke: member | twin | creator | program | proactive
    channel: str = "web"
    author: str | None = None  # a creator's name on their own replies


class ConversationOut(msgspec.Struct):
    id: uuid.UUID
    kind: str
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


class WeakReply(msgspec.Struct):
    message_id: uuid.UUID
    conversation_id: uuid.UUID
    content: str
    consistency: float
    mode: str | None
    created_at: datetime
