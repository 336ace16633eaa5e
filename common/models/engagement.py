"""Proactive engagement: members' behaviour events, their preferences and last activity, the creator's
triggers, each firing (unique per trigger, member and occurrence) and the log of every decision."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, Column, DateTime, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlmodel import Field

from common.models.base import TenantTable, created_at_field


def _ts() -> Any:
    return Field(default=None, sa_column=Column(DateTime(timezone=True)))


def _json(default: Any = dict, server: str = "{}") -> Any:
    return Field(default_factory=default, sa_column=Column(JSONB, nullable=False, server_default=server))


class EventType(TenantTable, table=True):
    """A custom event name a creator declares, with the JSON schema its properties must match."""

    __tablename__ = "engagement_event_types"
    __table_args__ = (UniqueConstraint("creator_id", "name"),)
    name: str = Field(max_length=100)
    schema_: dict[str, Any] = Field(
        default_factory=dict, sa_column=Column("schema", JSONB, nullable=False, server_default="{}")
    )
    created_at: datetime = created_at_field()


class MemberEvent(TenantTable, table=True):
    """One thing a member did (append-only; the app role may only read and insert)."""

    __tablename__ = "member_events"
    __table_args__ = (
        UniqueConstraint("creator_id", "client_id"),
        Index("ix_member_events_member_name_at", "member_id", "name", "at"),
        Index("ix_member_events_name_received", "creator_id", "name", "received_at"),
    )
    member_id: uuid.UUID = Field(foreign_key="members.id", ondelete="CASCADE")
    client_id: str = Field(max_length=200)
    name: str = Field(max_length=100)
    at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    properties: dict[str, Any] = _json()
    source: str = Field(max_length=16)  # member | staff
    received_at: datetime = created_at_field()


class MemberEngagement(TenantTable, table=True):
    """A member's last activity (events and their own messages) and reminder preferences."""

    __tablename__ = "member_engagement"
    __table_args__ = (Index("ix_member_engagement_active", "creator_id", "last_active_at"),)
    member_id: uuid.UUID = Field(foreign_key="members.id", unique=True, ondelete="CASCADE")
    last_active_at: datetime | None = _ts()
    quiet_start: str | None = Field(default=None, max_length=5)  # "HH:MM" in the member's time zone
    quiet_end: str | None = Field(default=None, max_length=5)
    paused_until: datetime | None = _ts()
    opt_out_channels: list[str] = Field(
        default_factory=list, sa_column=Column(ARRAY(String(16)), nullable=False, server_default="{}")
    )
    updated_at: datetime = created_at_field()


class Trigger(TenantTable, table=True):
    """A creator's rule: when (kind, params) whom (audience) to do what (action), and its limits."""

    __tablename__ = "engagement_triggers"
    name: str = Field(max_length=200)
    kind: str = Field(max_length=24)  # TriggerKind
    params: dict[str, Any] = _json()
    action: dict[str, Any] = _json()
    audience: dict[str, Any] = _json()
    quiet_hours: dict[str, Any] | None = Field(default=None, sa_column=Column(JSONB))
    cooldown_hours: int = Field(default=24, sa_column=Column(Integer, nullable=False, server_default="24"))
    max_per_day: int = Field(default=1, sa_column=Column(Integer, nullable=False, server_default="1"))
    max_per_week: int = Field(default=3, sa_column=Column(Integer, nullable=False, server_default="3"))
    holdout_percent: int = Field(default=0, sa_column=Column(Integer, nullable=False, server_default="0"))
    enabled: bool = Field(default=False, sa_column=Column(Boolean, nullable=False, server_default="false"))
    created_at: datetime = created_at_field()
    updated_at: datetime = created_at_field()


class Firing(TenantTable, table=True):
    """One (trigger, member, occurrence): inserted once whatever the number of workers; pending while
    deferred (quiet hours), done once decided."""

    __tablename__ = "engagement_firings"
    __table_args__ = (
        UniqueConstraint("trigger_id", "member_id", "occurrence"),
        Index("ix_engagement_firings_pending", "due_at", postgresql_where=text("status = 'pending'")),
    )
    trigger_id: uuid.UUID = Field(foreign_key="engagement_triggers.id", ondelete="CASCADE")
    member_id: uuid.UUID = Field(foreign_key="members.id", index=True, ondelete="CASCADE")
    occurrence: str = Field(max_length=200)
    status: str = Field(max_length=16)  # FiringStatus
    due_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    created_at: datetime = created_at_field()


class Decision(TenantTable, table=True):
    """The log: what was decided for one firing, why, and the message sent (if any)."""

    __tablename__ = "engagement_decisions"
    __table_args__ = (
        Index("ix_engagement_decisions_at", "creator_id", "at"),
        Index("ix_engagement_decisions_member_at", "member_id", "at"),
        Index("ix_engagement_decisions_trigger_at", "trigger_id", "at"),
    )
    trigger_id: uuid.UUID = Field(foreign_key="engagement_triggers.id", ondelete="CASCADE")
    member_id: uuid.UUID = Field(foreign_key="members.id", ondelete="CASCADE")
    firing_id: uuid.UUID = Field(foreign_key="engagement_firings.id", index=True, ondelete="CASCADE")
    outcome: str = Field(max_length=32)  # DecisionOutcome
    reason: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    channel: str | None = Field(default=None, max_length=16)
    message_id: uuid.UUID | None = Field(default=None, foreign_key="messages.id", ondelete="SET NULL")
    at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
