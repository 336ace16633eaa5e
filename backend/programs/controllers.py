"""HTTP endpoints for programs: the builder's CRUD (graph JSON), validation, publishing, templates,
import/export, enrollments and their events, and the simulator. Editors write; viewers read."""

from __future__ import annotations

import uuid
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import msgspec
from litestar import Controller, get, post, put
from litestar.params import FromPath, JSONBody
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from backend.lib.deps import Caller, Db, Plat
from backend.lib.errors import Conflict, Forbidden, InvalidInput, NotFound
from backend.lib.openapi import errors
from backend.lib.platform import Platform
from backend.lib.principal import any_principal, has_role, min_role
from backend.programs import runtime
from backend.programs.graph import empty_graph, parse, validate
from backend.programs.schemas import (
    EnrollIn,
    EnrollmentOut,
    EventIn,
    EventOut,
    ExportOut,
    GraphJSON,
    ImportIn,
    IssueOut,
    ProgramIn,
    ProgramOut,
    ProgramSummary,
    ProgramUpdate,
    PublishOut,
    SimulateIn,
    SimulateOut,
    TemplateOut,
    TranscriptLine,
    ValidationOut,
    VersionRef,
)
from backend.programs.simulator import simulate
from backend.programs.templates import EXPORT_FORMAT, all_templates, template
from backend.programs.timers import kick
from common.enums import PrincipalKind, Role
from common.models import Enrollment, Program, ProgramVersion


def graph_dict(graph: GraphJSON) -> dict[str, Any]:
    raw: dict[str, Any] = msgspec.to_builtins(graph)
    return raw


def issues_out(raw: dict[str, Any]) -> list[IssueOut]:
    return [IssueOut(i.code, i.message, i.node_ids, i.edge_ids) for i in validate(raw)]


async def _program(db: AsyncSession, program_id: uuid.UUID, lock: bool = False) -> Program:
    query = select(Program).where(col(Program.id) == program_id)
    if lock:
        query = query.with_for_update()
    row = (await db.execute(query)).scalar_one_or_none()
    if row is None:
        raise NotFound("Program not found")
    return row


async def program_out(db: AsyncSession, p: Program) -> ProgramOut:
    versions = await db.execute(
        select(col(ProgramVersion.version), col(ProgramVersion.published_at))
        .where(col(ProgramVersion.program_id) == p.id)
        .order_by(col(ProgramVersion.version))
    )
    return ProgramOut(
        p.id,
        p.name,
        p.description,
        p.draft,
        p.revision,
        p.published_version,
        [VersionRef(v, at) for v, at in versions.all()],
        issues_out(p.draft),
        p.created_at,
        p.updated_at,
    )


def enrollment_out(e: Enrollment, version: int | None = None) -> EnrollmentOut:
    s = e.state or {}
    timer = s.get("timer") or {}
    return EnrollmentOut(
        e.id,
        e.program_id,
        version,
        e.member_id,
        e.status,
        e.current_node,
        s.get("waiting"),
        timer.get("due_at") if e.status == "active" else None,
        e.steps,
        list(s.get("path") or [])[-100:],
        e.enrolled_at,
        e.updated_at,
        e.completed_at,
        s.get("error"),
    )


async def _version_number(db: AsyncSession, e: Enrollment) -> int | None:
    version: int | None = (
        await db.execute(select(col(ProgramVersion.version)).where(col(ProgramVersion.id) == e.version_id))
    ).scalar_one_or_none()
    return version


async def _kick(platform: Platform, result: runtime.StepResult) -> None:
    for due in result.timers:
        await kick(platform, due)


async def _create(db: AsyncSession, principal: Any, name: str, description: str, graph: dict[str, Any]) -> Program:
    p = Program(
        creator_id=principal.creator_id,
        name=name,
        description=description,
        draft=graph,
        created_by=principal.subject_id,
    )
    db.add(p)
    await db.flush()
    return p


class ProgramsController(Controller):
    path = "/api/v1/programs"
    tags = ["programs"]
    guards = [min_role(Role.viewer)]

    @post("/", guards=[min_role(Role.editor)], status_code=201)
    async def create(self, data: JSONBody[ProgramIn], db: Db, principal: Caller) -> ProgramOut:
        graph = graph_dict(data.graph) if data.graph is not None else empty_graph()
        return await program_out(db, await _create(db, principal, data.name, data.description, graph))

    @get("/")
    async def list_programs(self, db: Db) -> list[ProgramSummary]:
        active = (
            select(col(Enrollment.program_id), func.count().label("n"))
            .where(col(Enrollment.status) == "active")
            .group_by(col(Enrollment.program_id))
            .subquery()
        )
        rows = await db.execute(
            select(Program, active.c.n)
            .outerjoin(active, active.c.program_id == col(Program.id))
            .order_by(col(Program.updated_at).desc())
            .limit(500)
        )
        return [
            ProgramSummary(p.id, p.name, p.description, p.revision, p.published_version, int(n or 0), p.updated_at)
            for p, n in rows.all()
        ]

    @get("/templates")
    async def templates(self) -> list[TemplateOut]:
        return [TemplateOut(t["key"], t["name"], t["description"], t["graph"]) for t in all_templates()]

    @post("/import", guards=[min_role(Role.editor)], status_code=201)
    async def import_program(self, data: JSONBody[ImportIn], db: Db, principal: Caller) -> ProgramOut:
        """Create a draft from a template key or from an exported program."""
        if data.template is not None:
            t = template(data.template)
            if t is None:
                raise InvalidInput(f"template: unknown template {data.template!r}")
            name, description, graph = data.name or t["name"], data.description or t["description"], t["graph"]
        else:
            if data.graph is None or data.name is None:
                raise InvalidInput("Give a template key, or an exported program with name and graph")
            if data.format is not None and data.format != EXPORT_FORMAT:
                raise InvalidInput(f"format: expected {EXPORT_FORMAT!r}")
            name, description, graph = data.name, data.description or "", graph_dict(data.graph)
        return await program_out(db, await _create(db, principal, name, description, graph))

    @get("/{program_id:uuid}")
    async def read(self, program_id: FromPath[uuid.UUID], db: Db) -> ProgramOut:
        return await program_out(db, await _program(db, program_id))

    @get("/{program_id:uuid}/export")
    async def export(self, program_id: FromPath[uuid.UUID], db: Db) -> ExportOut:
        p = await _program(db, program_id)
        return ExportOut(EXPORT_FORMAT, p.name, p.description, p.draft)

    @put("/{program_id:uuid}", guards=[min_role(Role.editor)], responses=errors(409))
    async def save(self, program_id: FromPath[uuid.UUID], data: JSONBody[ProgramUpdate], db: Db) -> ProgramOut:
        """Save the draft (published versions never change). Invalid drafts save; publishing checks."""
        p = await _program(db, program_id, lock=True)
        if data.revision is not None and data.revision != p.revision:
            raise Conflict(
                f"The program was saved by someone else (revision {p.revision}, yours {data.revision}): reload it",
                extra={"revision": p.revision},
            )
        if data.name is not None:
            p.name = data.name
        if data.description is not None:
            p.description = data.description
        if data.graph is not None:
            p.draft = graph_dict(data.graph)
        p.revision += 1
        p.updated_at = runtime.utcnow()
        await db.flush()
        return await program_out(db, p)

    @post("/{program_id:uuid}/validate", status_code=200)
    async def check(self, program_id: FromPath[uuid.UUID], db: Db) -> ValidationOut:
        issues = issues_out((await _program(db, program_id)).draft)
        return ValidationOut(not issues, issues)

    @post("/{program_id:uuid}/publish", guards=[min_role(Role.editor)], status_code=201)
    async def publish(self, program_id: FromPath[uuid.UUID], db: Db, principal: Caller) -> PublishOut:
        """Freeze the draft as the next version; new enrollments get it, existing ones keep theirs."""
        p = await _program(db, program_id, lock=True)
        issues = issues_out(p.draft)
        if issues:
            raise InvalidInput(
                f"The program has {len(issues)} problem(s): " + "; ".join(i.message for i in issues[:5]),
                extra={"issues": [msgspec.to_builtins(i) for i in issues]},
            )
        number = (p.published_version or 0) + 1
        v = ProgramVersion(
            creator_id=p.creator_id, program_id=p.id, version=number, graph=p.draft, published_by=principal.subject_id
        )
        db.add(v)
        p.published_version = number
        p.updated_at = runtime.utcnow()
        await db.flush()
        return PublishOut(p.id, number, v.published_at)

    @post("/{program_id:uuid}/simulate", status_code=200)
    async def simulate(self, program_id: FromPath[uuid.UUID], data: JSONBody[SimulateIn], db: Db) -> SimulateOut:
        """Run the draft (or a published version) for a test member; touches no member and no table."""
        p = await _program(db, program_id)
        try:
            ZoneInfo(data.timezone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise InvalidInput(f"timezone: unknown time zone {data.timezone!r}") from exc
        raw = p.draft
        if data.version is not None:
            found = (
                await db.execute(
                    select(col(ProgramVersion.graph)).where(
                        col(ProgramVersion.program_id) == p.id, col(ProgramVersion.version) == data.version
                    )
                )
            ).scalar_one_or_none()
            if found is None:
                raise NotFound(f"Version {data.version} not found")
            raw = found
        issues = issues_out(raw)
        if issues:
            raise InvalidInput(
                "Fix the program before simulating: " + "; ".join(i.message for i in issues[:5]),
                extra={"issues": [msgspec.to_builtins(i) for i in issues]},
            )
        sim = simulate(
            parse(raw)[0],
            answers=data.answers,
            start_at=data.start_at,
            timezone=data.timezone,
            name=data.name,
            events=[{"name": e.name, "at": e.at.isoformat()} for e in data.events],
            max_steps=data.max_steps,
        )
        return SimulateOut(
            sim.status,
            sim.detail,
            sim.path,
            [TranscriptLine(**line) for line in sim.transcript],
            sim.goals,
            sim.started_at,
            sim.ended_at,
            [],
        )

    @post("/{program_id:uuid}/enrollments", guards=[min_role(Role.editor)], status_code=201, responses=errors(409))
    async def enroll(
        self, program_id: FromPath[uuid.UUID], data: JSONBody[EnrollIn], db: Db, platform: Plat, principal: Caller
    ) -> EnrollmentOut:
        result = await runtime.enroll(db, principal.creator_id, program_id, data.member_id)
        assert result.enrollment is not None
        await _kick(platform, result)
        return enrollment_out(result.enrollment, await _version_number(db, result.enrollment))

    @get("/{program_id:uuid}/enrollments")
    async def enrollments(self, program_id: FromPath[uuid.UUID], db: Db) -> list[EnrollmentOut]:
        await _program(db, program_id)
        rows = await db.execute(
            select(Enrollment, col(ProgramVersion.version))
            .join(ProgramVersion, col(ProgramVersion.id) == col(Enrollment.version_id))
            .where(col(Enrollment.program_id) == program_id)
            .order_by(col(Enrollment.enrolled_at).desc())
            .limit(1000)
        )
        return [enrollment_out(e, v) for e, v in rows.all()]


class EnrollmentsController(Controller):
    path = "/api/v1/enrollments"
    tags = ["programs"]
    guards = [any_principal]

    @get("/{enrollment_id:uuid}", guards=[min_role(Role.viewer)])
    async def read(self, enrollment_id: FromPath[uuid.UUID], db: Db) -> EnrollmentOut:
        e = await db.get(Enrollment, enrollment_id)
        if e is None:
            raise NotFound("Enrollment not found")
        return enrollment_out(e, await _version_number(db, e))

    @post("/{enrollment_id:uuid}/pause", guards=[min_role(Role.editor)], status_code=200, responses=errors(409))
    async def pause(self, enrollment_id: FromPath[uuid.UUID], db: Db) -> EnrollmentOut:
        e = await runtime.pause(db, enrollment_id)
        return enrollment_out(e, await _version_number(db, e))

    @post("/{enrollment_id:uuid}/resume", guards=[min_role(Role.editor)], status_code=200, responses=errors(409))
    async def resume(self, enrollment_id: FromPath[uuid.UUID], db: Db, platform: Plat) -> EnrollmentOut:
        result = await runtime.resume(db, enrollment_id)
        assert result.enrollment is not None
        await _kick(platform, result)
        return enrollment_out(result.enrollment, await _version_number(db, result.enrollment))

    @post("/{enrollment_id:uuid}/unenroll", guards=[min_role(Role.editor)], status_code=200, responses=errors(409))
    async def unenroll(self, enrollment_id: FromPath[uuid.UUID], db: Db) -> EnrollmentOut:
        e = await runtime.unenroll(db, enrollment_id)
        return enrollment_out(e, await _version_number(db, e))

    @post("/{enrollment_id:uuid}/events", status_code=200, responses=errors(409))
    async def event(
        self, enrollment_id: FromPath[uuid.UUID], data: JSONBody[EventIn], db: Db, platform: Plat, principal: Caller
    ) -> EventOut:
        """An answer, a behaviour event or a twin turn. Staff editors post for any member; a member (member
        token) only for their own enrollment. Retrying with the same key is safe."""
        if principal.kind is PrincipalKind.member:
            owner = (
                await db.execute(select(col(Enrollment.member_id)).where(col(Enrollment.id) == enrollment_id))
            ).scalar_one_or_none()
            if owner != principal.subject_id:
                raise NotFound("Enrollment not found")
        elif not has_role(principal, Role.editor):
            raise Forbidden("This needs the editor role or higher")
        result = await runtime.handle_event(db, enrollment_id, data.type, data.key, data.payload)
        assert result.enrollment is not None
        await _kick(platform, result)
        e = result.enrollment
        return EventOut(result.outcome, result.detail, result.messages, enrollment_out(e, await _version_number(db, e)))
