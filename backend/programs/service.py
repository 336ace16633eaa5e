"""Programs: drafts, validation, publishing frozen versions, import from templates or exports, simulation, and
enrollments as the API asks for them. Each enrollment step itself runs in `runtime.py`; due timers are the
job in `jobs.py`."""

from __future__ import annotations

import functools
import uuid
from typing import Any

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession

from backend.lib.db import after_commit
from backend.lib.errors import Conflict, InvalidInput
from backend.lib.platform import Platform
from backend.lib.principal import Principal
from backend.lib.validation import check_timezone
from backend.programs import repository, runtime
from backend.programs.graph import empty_graph, parse
from backend.programs.jobs import kick
from backend.programs.schemas import (
    GraphJSON,
    ImportIn,
    IssueOut,
    ProgramOut,
    ProgramUpdate,
    SimulateIn,
    ValidationOut,
    program_out,
)
from backend.programs.simulator import Simulation, simulate
from backend.programs.templates import EXPORT_FORMAT, template
from backend.programs.validation import runaway_loops, validate
from common.models import Enrollment, Program, ProgramVersion


def graph_dict(graph: GraphJSON) -> dict[str, Any]:
    raw: dict[str, Any] = msgspec.to_builtins(graph)
    return raw


def issues_of(raw: dict[str, Any]) -> list[IssueOut]:
    return [IssueOut(code=i.code, message=i.message, node_ids=i.node_ids, edge_ids=i.edge_ids) for i in validate(raw)]


def warnings_of(raw: dict[str, Any]) -> list[IssueOut]:
    """What does not stop a publish but should be fixed first (a loop a silent member travels for ever)."""
    return [
        IssueOut(code=i.code, message=i.message, node_ids=i.node_ids, edge_ids=i.edge_ids) for i in runaway_loops(raw)
    ]


def checked(raw: dict[str, Any]) -> ValidationOut:
    """A graph's problems and warnings, as the builder shows them."""
    issues = issues_of(raw)
    return ValidationOut(valid=not issues, issues=issues, warnings=warnings_of(raw))


def _refuse(issues: list[IssueOut], lead: str) -> None:
    if issues:
        raise InvalidInput(
            lead + "; ".join(i.message for i in issues[:5]),
            extra={"issues": [msgspec.to_builtins(i) for i in issues]},
        )


async def out(db: AsyncSession, p: Program) -> ProgramOut:
    """The program as the API answers it (its published versions and the draft's problems)."""
    versions = await repository.published_versions(db, p.id)
    return program_out(p, versions, issues_of(p.draft), warnings_of(p.draft))


async def create(
    db: AsyncSession, principal: Principal, name: str, description: str, graph: dict[str, Any] | None = None
) -> Program:
    p = Program(
        creator_id=principal.creator_id,
        name=name,
        description=description,
        draft=graph if graph is not None else empty_graph(),
        created_by=principal.subject_id,
    )
    db.add(p)
    await db.flush()
    return p


async def import_program(db: AsyncSession, principal: Principal, data: ImportIn) -> Program:
    """A draft from a template key or from an exported program."""
    if data.template is not None:
        t = template(data.template)
        if t is None:
            raise InvalidInput(f"template: unknown template {data.template!r}")
        return await create(db, principal, data.name or t["name"], data.description or t["description"], t["graph"])
    if data.graph is None or data.name is None:
        raise InvalidInput("Give a template key, or an exported program with name and graph")
    if data.format is not None and data.format != EXPORT_FORMAT:
        raise InvalidInput(f"format: expected {EXPORT_FORMAT!r}")
    return await create(db, principal, data.name, data.description or "", graph_dict(data.graph))


async def save(db: AsyncSession, program_id: uuid.UUID, data: ProgramUpdate) -> Program:
    """Save the draft (published versions never change). Invalid drafts save; publishing checks."""
    p = await repository.program(db, program_id, lock=True)
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
    return p


async def publish(db: AsyncSession, principal: Principal, program_id: uuid.UUID) -> ProgramVersion:
    """Freeze the draft as the next version; new enrollments get it, existing ones keep theirs."""
    p = await repository.program(db, program_id, lock=True)
    issues = issues_of(p.draft)
    _refuse(issues, f"The program has {len(issues)} problem(s): ")
    number = (p.published_version or 0) + 1
    v = ProgramVersion(
        creator_id=p.creator_id, program_id=p.id, version=number, graph=p.draft, published_by=principal.subject_id
    )
    db.add(v)
    p.published_version = number
    p.updated_at = runtime.utcnow()
    await db.flush()
    return v


async def run_simulation(db: AsyncSession, program_id: uuid.UUID, data: SimulateIn) -> Simulation:
    """Run the draft (or a published version) for a test member; touches no member and no table."""
    p = await repository.program(db, program_id)
    check_timezone(data.timezone)
    raw = p.draft if data.version is None else await repository.version_graph_by_number(db, p.id, data.version)
    _refuse(issues_of(raw), "Fix the program before simulating: ")
    return simulate(
        parse(raw)[0],
        answers=data.answers,
        start_at=data.start_at,
        timezone=data.timezone,
        name=data.name,
        events=[{"name": e.name, "at": e.at.isoformat()} for e in data.events],
        max_steps=data.max_steps,
    )


def kick_after_commit(platform: Platform, db: AsyncSession, result: runtime.StepResult) -> None:
    """Wake the timer worker for the step's new due times once the step is committed."""
    for due in result.timers:
        after_commit(db, functools.partial(kick, platform, due))


async def enrollment_version(db: AsyncSession, e: Enrollment) -> int | None:
    return await repository.version_number(db, e.version_id)
