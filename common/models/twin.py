"""The twin: persona versions, members (end users), conversations, messages and what the twin remembers."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, Column, DateTime, Float, Index, Integer, String, Text, UniqueConstraint, func, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field

from common.enums import Channel, ConversationKind, MessageRole, MessageSender, PersonaSource, PersonaStatus
from common.models.base import TenantTable, created_at_field, utcnow


class Persona(TenantTable, table=True):
    """One version of the twin's persona. Exactly the approved one speaks to members."""

    __tablename__ = "personas"
    __table_args__ = (
        UniqueConstraint("creator_id", "version"),
        Index("ux_personas_approved", "creator_id", unique=True, postgresql_where=text("status = 'approved'")),
    )
    version: int = Field(sa_column=Column(Integer, nullable=False))
    status: PersonaStatus = Field(sa_column=Column(String(16), nullable=False))
    source: PersonaSource = Field(sa_column=Column(String(16), nullable=False))
    name: str = Field(max_length=200)
    card: str = Field(sa_column=Column(Text, nullable=False))
    principles: list[str] = Field(default_factory=list, sa_column=Column(JSONB, nullable=False))
    profile: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSONB, nullable=False))
    llm_card: str | None = Field(default=None, sa_column=Column(Text))
    created_by: uuid.UUID | None = Field(default=None)
    approved_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    created_at: datetime = created_at_field()


class Member(TenantTable, table=True):
    """An end user of one creator. `external_id` is the creator's own id for them (signed by the creator's site,
    or set by staff); anonymous widget visitors have none. Channel addresses are `MemberIdentity` rows."""

    __tablename__ = "members"
    __table_args__ = (UniqueConstraint("creator_id", "external_id"),)
    external_id: str | None = Field(default=None, max_length=200)
    display_name: str = Field(default="", max_length=200)
    timezone: str = Field(default="UTC", max_length=64)
    last_channel: str | None = Field(default=None, max_length=16)  # where they last wrote from
    last_seen_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    created_at: datetime = created_at_field()


class Conversation(TenantTable, table=True):
    __tablename__ = "conversations"
    member_id: uuid.UUID | None = Field(default=None, foreign_key="members.id", index=True, ondelete="CASCADE")
    staff_user_id: uuid.UUID | None = Field(  # playground conversations
        default=None, foreign_key="users.id", index=True, ondelete="CASCADE"
    )
    kind: ConversationKind = Field(sa_column=Column(String(16), nullable=False))
    title: str = Field(default="", max_length=200)
    flagged: bool = Field(default=False, sa_column=Column(Boolean, nullable=False, server_default="false"))
    flag_reason: str | None = Field(default=None, sa_column=Column(Text))
    # A creator holding the conversation (the twin stays silent), and a member's request for a person.
    taken_over_by: uuid.UUID | None = Field(default=None, foreign_key="users.id", index=True, ondelete="SET NULL")
    taken_over_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    handoff_requested_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    handoff_reason: str | None = Field(default=None, sa_column=Column(Text))
    created_at: datetime = created_at_field()
    updated_at: datetime = Field(
        default_factory=utcnow,
        sa_column=Column(DateTime(timezone=True), nullable=False, server_default=func.now()),
    )


class Message(TenantTable, table=True):
    __tablename__ = "messages"
    __table_args__ = (
        UniqueConstraint("conversation_id", "client_id"),
        Index("ix_messages_conversation_created", "conversation_id", "created_at"),
        # The twin's replies by day (analytics' twin quality rollup).
        Index("ix_messages_twin_created", "creator_id", "created_at", postgresql_where=text("sender = 'twin'")),
    )
    conversation_id: uuid.UUID = Field(foreign_key="conversations.id", index=True, ondelete="CASCADE")
    role: MessageRole = Field(sa_column=Column(String(16), nullable=False))  # the model's view of who spoke
    content: str = Field(sa_column=Column(Text, nullable=False))
    # Who spoke (MessageSender) and where (Channel); a creator's reply names its staff author.
    sender: MessageSender = Field(
        default=MessageSender.twin, sa_column=Column(String(16), nullable=False, server_default="twin")
    )
    channel: Channel = Field(default=Channel.web, sa_column=Column(String(16), nullable=False, server_default="web"))
    author_id: uuid.UUID | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")
    meta: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSONB, nullable=False, server_default="{}"))
    client_id: str | None = Field(default=None, max_length=64)  # the sender's id, for retries
    mode: str | None = Field(default=None, max_length=16)  # a ReplyMode
    grounded: bool | None = None
    citations: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSONB, nullable=False))
    consistency: float | None = Field(default=None, sa_column=Column(Float))
    safety: str | None = Field(default=None, max_length=32)
    created_at: datetime = created_at_field()


class MemberFact(TenantTable, table=True):
    """Something durable the member told the twin (a goal, a preference, their situation)."""

    __tablename__ = "member_facts"
    __table_args__ = (UniqueConstraint("member_id", "kind", "text"),)
    member_id: uuid.UUID = Field(foreign_key="members.id", index=True, ondelete="CASCADE")
    kind: str = Field(max_length=16)
    text: str = Field(max_length=500)
    source_message_id: uuid.UUID | None = None
    created_at: datetime = created_at_field()
