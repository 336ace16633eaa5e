"""Members' channels: the web widget's settings, channel identities, feedback on replies, and the outbox."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, Column, DateTime, Index, Integer, String, Text, UniqueConstraint, func, text
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlmodel import Field

from common.models.base import TenantTable, created_at_field, utcnow


def _ts() -> Any:
    return Field(default=None, sa_column=Column(DateTime(timezone=True)))


def _now() -> Any:
    return Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False, server_default=func.now())
    )


class WebChannel(TenantTable, table=True):
    """A workspace's web widget: its public key, where it may be embedded, identity rules and look."""

    __tablename__ = "web_channels"
    creator_id: uuid.UUID = Field(foreign_key="creators.id", unique=True, ondelete="CASCADE")
    public_key: str = Field(sa_column=Column(String(40), nullable=False, unique=True))
    allowed_origins: list[str] = Field(
        default_factory=list, sa_column=Column(ARRAY(String(255)), nullable=False, server_default="{}")
    )
    require_identity: bool = Field(default=False, sa_column=Column(Boolean, nullable=False, server_default="false"))
    identity_secret: str | None = Field(default=None, sa_column=Column(Text))  # encrypted (backend/lib/crypto.py)
    identity_secret_rotated_at: datetime | None = _ts()
    theme: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSONB, nullable=False, server_default="{}"))
    welcome_message: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    starter_prompts: list[str] = Field(
        default_factory=list, sa_column=Column(JSONB, nullable=False, server_default="[]")
    )
    created_at: datetime = created_at_field()
    updated_at: datetime = _now()


class MemberIdentity(TenantTable, table=True):
    """One channel address (IdentityKind, value) of a member, unique in the workspace."""

    __tablename__ = "member_identities"
    __table_args__ = (UniqueConstraint("creator_id", "kind", "value"),)
    member_id: uuid.UUID = Field(foreign_key="members.id", index=True, ondelete="CASCADE")
    kind: str = Field(max_length=24)
    value: str = Field(max_length=200)
    created_at: datetime = created_at_field()
    last_seen_at: datetime = _now()
    opted_out_at: datetime | None = _ts()  # /stop or a blocked bot: nothing more is sent to this address


class MessageFeedback(TenantTable, table=True):
    """A member's thumbs up/down (and comment) on one twin reply; one per member and reply."""

    __tablename__ = "message_feedback"
    __table_args__ = (UniqueConstraint("message_id", "member_id"),)
    message_id: uuid.UUID = Field(foreign_key="messages.id", index=True, ondelete="CASCADE")
    member_id: uuid.UUID = Field(foreign_key="members.id", index=True, ondelete="CASCADE")
    rating: str = Field(max_length=8)  # Rating
    comment: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    created_at: datetime = created_at_field()
    updated_at: datetime = _now()


class OutboxMessage(TenantTable, table=True):
    """One message the platform sends on its own, on one channel, exactly once (the idempotency key)."""

    __tablename__ = "outbox"
    __table_args__ = (
        UniqueConstraint("creator_id", "idempotency_key"),
        # The sweeper looks only at rows still waiting to be sent.
        Index("ix_outbox_queued", "next_attempt_at", postgresql_where=text("status = 'queued'")),
    )
    member_id: uuid.UUID = Field(foreign_key="members.id", index=True, ondelete="CASCADE")
    message_id: uuid.UUID = Field(foreign_key="messages.id", index=True, ondelete="CASCADE")
    channel: str = Field(max_length=16)  # Channel
    idempotency_key: str = Field(max_length=200)
    status: str = Field(default="queued", sa_column=Column(String(16), nullable=False, server_default="queued"))
    attempts: int = Field(default=0, sa_column=Column(Integer, nullable=False, server_default="0"))
    error: str | None = Field(default=None, sa_column=Column(Text))
    provider_message_id: str | None = Field(default=None, max_length=200)
    # WhatsApp refused free text (131047, the 24-hour window closed): only the creator's template may go.
    template_only: bool = Field(default=False, sa_column=Column(Boolean, nullable=False, server_default="false"))
    next_attempt_at: datetime = _now()
    claimed_at: datetime | None = _ts()
    created_at: datetime = created_at_field()
    updated_at: datetime = _now()
    sent_at: datetime | None = _ts()
    delivered_at: datetime | None = _ts()
    read_at: datetime | None = _ts()


class MessagingChannel(TenantTable, table=True):
    """A workspace's Telegram bot or WhatsApp number: readable settings, sealed secrets, status."""

    __tablename__ = "messaging_channels"
    __table_args__ = (UniqueConstraint("creator_id", "channel"),)
    channel: str = Field(max_length=16)  # Channel.telegram | Channel.whatsapp
    settings: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSONB, nullable=False, server_default="{}"))
    secrets: str = Field(sa_column=Column(Text, nullable=False))  # JSON sealed by backend/lib/crypto.py
    webhook_set: bool = Field(default=False, sa_column=Column(Boolean, nullable=False, server_default="false"))
    last_update_at: datetime | None = _ts()
    last_error: str | None = Field(default=None, sa_column=Column(Text))
    created_at: datetime = created_at_field()
    updated_at: datetime = _now()


class ChannelEvent(TenantTable, table=True):
    """One inbound webhook event, once per provider id (a Telegram update_id, a WhatsApp message id)."""

    __tablename__ = "channel_events"
    __table_args__ = (UniqueConstraint("creator_id", "channel", "event_id"),)
    channel: str = Field(max_length=16)
    event_id: str = Field(max_length=200)
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSONB, nullable=False, server_default="{}"))
    received_at: datetime = _now()
    processed_at: datetime | None = _ts()
