"""Request and response shapes. Graphs are React Flow JSON: the canvas loads and saves them as-is."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

import msgspec

from backend.lib.bounds import Int32, Moment, TimeZone, check_moment
from common.enums import EnrollmentStatus, SimulationStatus, StepOutcome, WaitingFor
from common.models import Enrollment, Program

Name = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
Description = Annotated[str, msgspec.Meta(max_length=5000)]


class Position(msgspec.Struct, kw_only=True):
    x: float = 0.0
    y: float = 0.0


class NodeJSON(msgspec.Struct, kw_only=True, omit_defaults=False):
    """A React Flow node. Unknown keys (width, selected, measured...) are accepted and dropped."""

    id: Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
    type: Annotated[str, msgspec.Meta(max_length=32)]
    position: Position = msgspec.field(default_factory=Position)
    data: dict[str, Any] = msgspec.field(default_factory=dict)


class EdgeJSON(msgspec.Struct, kw_only=True, omit_defaults=True):
    id: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    source: Annotated[str, msgspec.Meta(max_length=100)]
    target: Annotated[str, msgspec.Meta(max_length=100)]
    sourceHandle: Annotated[str, msgspec.Meta(max_length=100)] | None = None
    targetHandle: Annotated[str, msgspec.Meta(max_length=100)] | None = None
    label: Annotated[str, msgspec.Meta(max_length=100)] | None = None


class GraphJSON(msgspec.Struct, kw_only=True, omit_defaults=True):
    nodes: Annotated[list[NodeJSON], msgspec.Meta(max_length=1000)]
    edges: Annotated[list[EdgeJSON], msgspec.Meta(max_length=4000)]
    viewport: dict[str, float] | None = None


class IssueOut(msgspec.Struct, kw_only=True):
    code: str
    message: str
    node_ids: list[str]
    edge_ids: list[str]


class ProgramIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    name: Name
    description: Description = ""
    graph: GraphJSON | None = None


class ProgramUpdate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    name: Name | None = None
    description: Description | None = None
    graph: GraphJSON | None = None
    revision: Int32 | None = None  # the revision the editor loaded: a stale save is refused (409)


class VersionRef(msgspec.Struct, kw_only=True):
    version: int
    published_at: datetime


class ProgramOut(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    name: str
    description: str
    graph: dict[str, Any]
    revision: int
    published_version: int | None
    versions: list[VersionRef]
    issues: list[IssueOut]
    created_at: datetime
    updated_at: datetime
    warnings: list[IssueOut] = msgspec.field(default_factory=list)  # do not stop a publish; shown before it


class ProgramSummary(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    name: str
    description: str
    revision: int
    published_version: int | None
    active_enrollments: int
    updated_at: datetime


class ValidationOut(msgspec.Struct, kw_only=True):
    valid: bool
    issues: list[IssueOut]
    warnings: list[IssueOut] = msgspec.field(default_factory=list)


class PublishOut(msgspec.Struct, kw_only=True):
    program_id: uuid.UUID
    version: int
    published_at: datetime


class EnrollIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    member_id: uuid.UUID


class EnrollmentOut(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    program_id: uuid.UUID
    version: int | None
    member_id: uuid.UUID
    status: EnrollmentStatus
    current_node: str | None
    waiting: WaitingFor | None
    next_due_at: str | None
    steps: int
    path: list[str]
    enrolled_at: datetime
    updated_at: datetime
    completed_at: datetime | None
    error: str | None = None


class EventIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    type: Literal["answer", "event", "message"]
    key: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    payload: dict[str, Any] = msgspec.field(default_factory=dict)


class EventOut(msgspec.Struct, kw_only=True):
    outcome: StepOutcome
    detail: str
    messages: list[str]
    enrollment: EnrollmentOut


class ScriptedEvent(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
    at: Moment

    def __post_init__(self) -> None:
        check_moment(self.at, "at")


class SimulateIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    answers: dict[str, Any] = msgspec.field(default_factory=dict)
    start_at: Moment | None = None
    timezone: TimeZone = "UTC"
    name: Annotated[str, msgspec.Meta(max_length=200)] = "Test member"
    events: Annotated[list[ScriptedEvent], msgspec.Meta(max_length=500)] = msgspec.field(default_factory=list)
    version: Int32 | None = None  # a published version; default: the current draft
    max_steps: Annotated[int, msgspec.Meta(ge=1, le=5000)] = 2000

    def __post_init__(self) -> None:
        check_moment(self.start_at, "start_at")


class TranscriptLine(msgspec.Struct, kw_only=True):
    at: str
    local: str
    role: str  # assistant | member | system | event
    node_id: str | None
    text: str


class SimulateOut(msgspec.Struct, kw_only=True):
    status: SimulationStatus
    detail: str
    path: list[str]
    transcript: list[TranscriptLine]
    goals: list[dict[str, Any]]
    started_at: datetime | None
    ended_at: datetime | None
    issues: list[IssueOut]


class TemplateOut(msgspec.Struct, kw_only=True):
    key: str
    name: str
    description: str
    graph: dict[str, Any]


class ImportIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Either a template key, or an exported program (`format`, `name`, `description`, `graph`)."""

    template: Annotated[str, msgspec.Meta(max_length=64)] | None = None
    format: Annotated[str, msgspec.Meta(max_length=64)] | None = None
    name: Name | None = None
    description: Description | None = None
    graph: GraphJSON | None = None


class ExportOut(msgspec.Struct, kw_only=True):
    format: str
    name: str
    description: str
    graph: dict[str, Any]


def program_out(
    p: Program, versions: list[tuple[int, datetime]], issues: list[IssueOut], warnings: list[IssueOut]
) -> ProgramOut:
    return ProgramOut(
        id=p.id,
        name=p.name,
        description=p.description,
        graph=p.draft,
        revision=p.revision,
        published_version=p.published_version,
        versions=[VersionRef(version=v, published_at=at) for v, at in versions],
        issues=issues,
        created_at=p.created_at,
        updated_at=p.updated_at,
        warnings=warnings,
    )


def program_summary(p: Program, active_enrollments: int) -> ProgramSummary:
    return ProgramSummary(
        id=p.id,
        name=p.name,
        description=p.description,
        revision=p.revision,
        published_version=p.published_version,
        active_enrollments=active_enrollments,
        updated_at=p.updated_at,
    )


def enrollment_out(e: Enrollment, version: int | None = None) -> EnrollmentOut:
    s = e.state or {}
    timer = s.get("timer") or {}
    return EnrollmentOut(
        id=e.id,
        program_id=e.program_id,
        version=version,
        member_id=e.member_id,
        status=e.status,
        current_node=e.current_node,
        waiting=s.get("waiting"),
        next_due_at=timer.get("due_at") if e.status == EnrollmentStatus.active else None,
        steps=e.steps,
        path=list(s.get("path") or [])[-100:],
        enrolled_at=e.enrolled_at,
        updated_at=e.updated_at,
        completed_at=e.completed_at,
        error=s.get("error"),
    )
