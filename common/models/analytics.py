"""Outcome analytics: what changed since the last refresh (`analytics_dirty`), members' active hours, one row of
facts per enrollment, per-day rollups the dashboard reads (programs, twin), engagement contacts judged 48 h later,
and program experiments (A/B of two published versions). Definitions: backend/analytics/definitions.py."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import Boolean, Column, Date, DateTime, Float, Index, Integer, String, UniqueConstraint, text
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlmodel import Field

from common.models.base import TenantTable, created_at_field


def _ts(nullable: bool = True) -> Any:
    return Field(default=None, sa_column=Column(DateTime(timezone=True), nullable=nullable))


def _int() -> Any:
    return Field(default=0, sa_column=Column(Integer, nullable=False, server_default="0"))


def _json() -> Any:
    return Field(default_factory=dict, sa_column=Column(JSONB, nullable=False, server_default="{}"))


class AnalyticsDirty(TenantTable, table=True):
    """Something the next refresh recomputes (written by row triggers, so no write path can forget it), one row per
    change."""

    __tablename__ = "analytics_dirty"
    # No unique key: a writer never waits on a refresh that took an equal mark (migration 0014); duplicates fold.
    __table_args__ = (Index("ix_analytics_dirty_due", "due_at"),)
    kind: str = Field(max_length=16)  # enrollment | member | twin_day | decision
    ref: str = Field(max_length=64)  # an id, or a day (YYYY-MM-DD)
    due_at: datetime = created_at_field()  # a decision is judged 48 h after it


class AnalyticsActivity(TenantTable, table=True):
    """The hours a member was active (an event or their own message), with the first and last instant in it."""

    __tablename__ = "analytics_activity"
    __table_args__ = (UniqueConstraint("member_id", "hour"),)
    member_id: uuid.UUID = Field(foreign_key="members.id", ondelete="CASCADE")
    hour: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    first_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    last_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


class AnalyticsEnrollment(TenantTable, table=True):
    """One enrollment's figures as of its last refresh (the rollups sum these)."""

    __tablename__ = "analytics_enrollments"
    __table_args__ = (Index("ix_analytics_enrollments_cohort", "program_id", "version", "enrolled_day"),)
    enrollment_id: uuid.UUID = Field(foreign_key="program_enrollments.id", unique=True, ondelete="CASCADE")
    program_id: uuid.UUID = Field(foreign_key="programs.id", ondelete="CASCADE")
    version: int = Field(sa_column=Column(Integer, nullable=False))
    member_id: uuid.UUID = Field(foreign_key="members.id", index=True, ondelete="CASCADE")
    enrolled_day: date = Field(sa_column=Column(Date, nullable=False))
    completed: bool = Field(default=False, sa_column=Column(Boolean, nullable=False, server_default="false"))
    sent: int = _int()
    answered: int = _int()
    reached: list[str] = Field(
        default_factory=list, sa_column=Column(ARRAY(String(100)), nullable=False, server_default="{}")
    )
    dropped_at: str | None = Field(default=None, max_length=100)
    waits: dict[str, Any] = _json()  # node -> seconds from reaching it to the next step (first visit)
    goals: dict[str, Any] = _json()  # goal node -> seconds from enrollment to reaching it
    metrics: dict[str, Any] = _json()  # metric check-in -> [first, latest, answers]
    streak_current: int = _int()
    streak_longest: int = _int()
    active_weeks: list[int] = Field(
        default_factory=list, sa_column=Column(ARRAY(Integer), nullable=False, server_default="{}")
    )
    refreshed_at: datetime = created_at_field()


class AnalyticsProgramDay(TenantTable, table=True):
    """The sums over one day's enrollment cohort of one program version (what the dashboard reads)."""

    __tablename__ = "analytics_program_days"
    __table_args__ = (UniqueConstraint("program_id", "version", "day"),)
    program_id: uuid.UUID = Field(foreign_key="programs.id", ondelete="CASCADE")
    version: int = Field(sa_column=Column(Integer, nullable=False))
    day: date = Field(sa_column=Column(Date, nullable=False))
    enrolled: int = _int()
    data: dict[str, Any] = _json()  # see backend/analytics/rollups.py: day_sums


class AnalyticsTwinDay(TenantTable, table=True):
    """The twin's replies of one UTC day in members' conversations, by mode ('' holds day-level counts)."""

    __tablename__ = "analytics_twin_days"
    __table_args__ = (UniqueConstraint("creator_id", "day", "mode"),)
    day: date = Field(sa_column=Column(Date, nullable=False))
    mode: str = Field(max_length=16)
    replies: int = _int()
    grounded: int = _int()
    refused: int = _int()
    flagged: int = _int()
    up: int = _int()
    down: int = _int()
    handoffs: int = _int()
    consistency_sum: float = Field(default=0.0, sa_column=Column(Float, nullable=False, server_default="0"))
    consistency_n: int = _int()


class AnalyticsContact(TenantTable, table=True):
    """A proactive decision (sent or held out), judged once its 48 h are over: was the member active again?"""

    __tablename__ = "analytics_contacts"
    decision_id: uuid.UUID = Field(foreign_key="engagement_decisions.id", unique=True, ondelete="CASCADE")
    trigger_id: uuid.UUID = Field(foreign_key="engagement_triggers.id", index=True, ondelete="CASCADE")
    member_id: uuid.UUID = Field(foreign_key="members.id", ondelete="CASCADE")
    holdout: bool = Field(sa_column=Column(Boolean, nullable=False))
    at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    reactivated: bool = Field(sa_column=Column(Boolean, nullable=False))


class ProgramExperiment(TenantTable, table=True):
    """An A/B of two published versions of a program, judged on an outcome chosen before it starts."""

    __tablename__ = "program_experiments"
    __table_args__ = (
        Index(
            "ux_program_experiments_running",
            "program_id",
            unique=True,
            postgresql_where=text("status = 'running'"),
        ),
    )
    program_id: uuid.UUID = Field(foreign_key="programs.id", index=True, ondelete="CASCADE")
    version_a: int = Field(sa_column=Column(Integer, nullable=False))
    version_b: int = Field(sa_column=Column(Integer, nullable=False))
    outcome: str = Field(max_length=16)  # ExperimentOutcome
    metric_node: str | None = Field(default=None, max_length=100)
    status: str = Field(max_length=16)  # running | stopped
    started_at: datetime = created_at_field()
    stopped_at: datetime | None = _ts()
    created_by: uuid.UUID | None = None
