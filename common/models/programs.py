"""Coaching programs: a draft graph, frozen published versions, enrollments and their runtime rows.

The graph is React Flow JSON (`nodes` with id/type/position/data, `edges` with id/source/target/
sourceHandle/label). A member stays on the version they enrolled in. Events carry an idempotency key
(unique per enrollment), timers live here too and are claimed by workers with FOR UPDATE SKIP LOCKED.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Column, DateTime, Integer, String, Text, UniqueConstraint, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field

from common.enums import EnrollmentStatus, StepOutcome
from common.models.base import TenantTable, created_at_field, utcnow


def _ts(nullable: bool = True) -> Any:
    return Field(default=None, sa_column=Column(DateTime(timezone=True), nullable=nullable))


def _updated() -> Any:
    return Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False, server_default=func.now())
    )


class Program(TenantTable, table=True):
    """A program and its editable draft graph; `revision` guards concurrent saves from the builder."""

    __tablename__ = "programs"
    name: str = Field(max_length=200)
    description: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    draft: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSONB, nullable=False))
    revision: int = Field(default=1, sa_column=Column(Integer, nullable=False, server_default="1"))
    published_version: int | None = Field(default=None, sa_column=Column(Integer))
    created_by: uuid.UUID | None = None
    created_at: datetime = created_at_field()
    updated_at: datetime = _updated()


class ProgramVersion(TenantTable, table=True):
    """A published, frozen graph. Never updated after insert."""

    __tablename__ = "program_versions"
    __table_args__ = (UniqueConstraint("program_id", "version"),)
    program_id: uuid.UUID = Field(foreign_key="programs.id", index=True, ondelete="CASCADE")
    version: int = Field(sa_column=Column(Integer, nullable=False))
    graph: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSONB, nullable=False))
    published_by: uuid.UUID | None = None
    published_at: datetime = created_at_field()


class Enrollment(TenantTable, table=True):
    """One member on one program version; `state` is the runtime's (current node, answers, path...)."""

    __tablename__ = "program_enrollments"
    program_id: uuid.UUID = Field(foreign_key="programs.id", index=True, ondelete="CASCADE")
    version_id: uuid.UUID = Field(foreign_key="program_versions.id", index=True, ondelete="CASCADE")
    member_id: uuid.UUID = Field(foreign_key="members.id", index=True, ondelete="CASCADE")
    status: EnrollmentStatus = Field(sa_column=Column(String(16), nullable=False))
    current_node: str | None = Field(default=None, max_length=100)
    state: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSONB, nullable=False))
    steps: int = Field(default=0, sa_column=Column(Integer, nullable=False, server_default="0"))
    enrolled_at: datetime = created_at_field()
    updated_at: datetime = _updated()
    completed_at: datetime | None = _ts()


class ProgramEvent(TenantTable, table=True):
    """Every event an enrollment received (applied or not): the idempotency key makes retries no-ops."""

    __tablename__ = "program_events"
    __table_args__ = (UniqueConstraint("enrollment_id", "key"),)
    enrollment_id: uuid.UUID = Field(foreign_key="program_enrollments.id", index=True, ondelete="CASCADE")
    key: str = Field(max_length=200)
    type: str = Field(max_length=16)  # a ProgramEventType
    node_id: str | None = Field(default=None, max_length=100)
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSONB, nullable=False))
    outcome: str = Field(default=StepOutcome.applied, max_length=32)  # a StepOutcome
    detail: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    received_at: datetime = created_at_field()


class ProgramTimer(TenantTable, table=True):
    """A wake-up for one enrollment: a wait ending, or a check-in/twin window closing."""

    __tablename__ = "program_timers"
    enrollment_id: uuid.UUID = Field(foreign_key="program_enrollments.id", index=True, ondelete="CASCADE")
    node_id: str = Field(max_length=100)
    kind: str = Field(max_length=16)  # a TimerKind
    due_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    claimed_at: datetime | None = _ts()
    claims: int = Field(default=0, sa_column=Column(Integer, nullable=False, server_default="0"))
    fired_at: datetime | None = _ts()  # set when the step ran, or when cancelled (outcome says which)
    outcome: str | None = Field(default=None, max_length=16)  # a TimerOutcome
    created_at: datetime = created_at_field()


class Achievement(TenantTable, table=True):
    """A goal node reached (a milestone, a streak)."""

    __tablename__ = "program_achievements"
    __table_args__ = (UniqueConstraint("enrollment_id", "node_id", "occurrence"),)
    enrollment_id: uuid.UUID = Field(foreign_key="program_enrollments.id", index=True, ondelete="CASCADE")
    member_id: uuid.UUID = Field(foreign_key="members.id", index=True, ondelete="CASCADE")
    node_id: str = Field(max_length=100)
    occurrence: int = Field(default=1, sa_column=Column(Integer, nullable=False, server_default="1"))
    name: str = Field(max_length=200)
    achieved_at: datetime = created_at_field()
