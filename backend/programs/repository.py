"""The programs feature's queries: programs and their versions, enrollments, the conversations programs talk
in, and claiming due timers. Functions take the caller's tenant-scoped session and return rows."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Uuid, any_, bindparam, func, select, text, update
from sqlalchemy.dialects.postgresql import ARRAY, distinct_on, insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from backend.lib.errors import NotFound
from common.enums import ConversationKind, EnrollmentStatus
from common.models import Conversation, Enrollment, Member, Program, ProgramVersion


def ids(values: list[uuid.UUID]) -> Any:
    """`= ANY(...)` of a uuid array: one statement text whatever the number of ids."""
    return any_(bindparam(None, values, type_=ARRAY(Uuid())))


# ---- programs and versions ------------------------------------------------------------------------------


async def program(db: AsyncSession, program_id: uuid.UUID, lock: bool = False) -> Program:
    query = select(Program).where(col(Program.id) == program_id)
    if lock:
        query = query.with_for_update()
    row = (await db.execute(query)).scalar_one_or_none()
    if row is None:
        raise NotFound("Program not found")
    return row


async def summaries(db: AsyncSession, limit: int = 500) -> list[tuple[Program, int]]:
    """Programs, most recently changed first, each with its number of active enrollments."""
    active = (
        select(col(Enrollment.program_id), func.count().label("n"))
        .where(col(Enrollment.status) == EnrollmentStatus.active)
        .group_by(col(Enrollment.program_id))
        .subquery()
    )
    rows = await db.execute(
        select(Program, active.c.n)
        .outerjoin(active, active.c.program_id == col(Program.id))
        .order_by(col(Program.updated_at).desc())
        .limit(limit)
    )
    return [(p, int(n or 0)) for p, n in rows.all()]


async def published_versions(db: AsyncSession, program_id: uuid.UUID) -> list[tuple[int, datetime]]:
    rows = await db.execute(
        select(col(ProgramVersion.version), col(ProgramVersion.published_at))
        .where(col(ProgramVersion.program_id) == program_id)
        .order_by(col(ProgramVersion.version))
    )
    return [(v, at) for v, at in rows.all()]


async def version_graph_by_number(db: AsyncSession, program_id: uuid.UUID, number: int) -> dict[str, Any]:
    found: dict[str, Any] | None = (
        await db.execute(
            select(col(ProgramVersion.graph)).where(
                col(ProgramVersion.program_id) == program_id, col(ProgramVersion.version) == number
            )
        )
    ).scalar_one_or_none()
    if found is None:
        raise NotFound(f"Version {number} not found")
    return found


async def version_graph_by_id(db: AsyncSession, version_id: uuid.UUID) -> dict[str, Any]:
    graph: dict[str, Any] = (
        await db.execute(select(col(ProgramVersion.graph)).where(col(ProgramVersion.id) == version_id))
    ).scalar_one()
    return graph


async def published_version_id(db: AsyncSession, program_id: uuid.UUID, number: int) -> uuid.UUID:
    version_id: uuid.UUID = (
        await db.execute(
            select(col(ProgramVersion.id)).where(
                col(ProgramVersion.program_id) == program_id, col(ProgramVersion.version) == number
            )
        )
    ).scalar_one()
    return version_id


async def version_number(db: AsyncSession, version_id: uuid.UUID) -> int | None:
    version: int | None = (
        await db.execute(select(col(ProgramVersion.version)).where(col(ProgramVersion.id) == version_id))
    ).scalar_one_or_none()
    return version


# ---- enrollments ----------------------------------------------------------------------------------------


async def enrollment(db: AsyncSession, enrollment_id: uuid.UUID) -> Enrollment:
    e = await db.get(Enrollment, enrollment_id)
    if e is None:
        raise NotFound("Enrollment not found")
    return e


async def locked_enrollment(db: AsyncSession, enrollment_id: uuid.UUID) -> Enrollment:
    e = (
        await db.execute(
            select(Enrollment)
            .where(col(Enrollment.id) == enrollment_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    ).scalar_one_or_none()
    if e is None:
        raise NotFound("Enrollment not found")
    return e


async def member(db: AsyncSession, member_id: uuid.UUID) -> Member:
    m = await db.get(Member, member_id)
    if m is None:
        raise NotFound("Member not found")
    return m


async def running_enrollment(db: AsyncSession, program_id: uuid.UUID, member_id: uuid.UUID) -> uuid.UUID | None:
    """The member's active or paused enrollment in the program, if any."""
    found: uuid.UUID | None = (
        await db.execute(
            select(col(Enrollment.id)).where(
                col(Enrollment.program_id) == program_id,
                col(Enrollment.member_id) == member_id,
                col(Enrollment.status).in_((EnrollmentStatus.active, EnrollmentStatus.paused)),
            )
        )
    ).scalar_one_or_none()
    return found


async def enrollments_of(db: AsyncSession, program_id: uuid.UUID, limit: int = 1000) -> list[tuple[Enrollment, int]]:
    """A program's enrollments, newest first, each with the number of the version it runs."""
    rows = await db.execute(
        select(Enrollment, col(ProgramVersion.version))
        .join(ProgramVersion, col(ProgramVersion.id) == col(Enrollment.version_id))
        .where(col(Enrollment.program_id) == program_id)
        .order_by(col(Enrollment.enrolled_at).desc())
        .limit(limit)
    )
    return [(e, v) for e, v in rows.all()]


async def enrollment_member(db: AsyncSession, enrollment_id: uuid.UUID) -> uuid.UUID | None:
    member_id: uuid.UUID | None = (
        await db.execute(select(col(Enrollment.member_id)).where(col(Enrollment.id) == enrollment_id))
    ).scalar_one_or_none()
    return member_id


# ---- what the runtime writes through ---------------------------------------------------------------------


async def conversations_for(db: AsyncSession, talking: list[Enrollment], now: datetime) -> list[uuid.UUID]:
    """The member conversation each enrollment's messages go to: the one it used before, else the member's
    latest, else a new one (one per member); all of them touched at `now`."""
    chosen = {e.id: uuid.UUID(e.state["conversation_id"]) for e in talking if e.state.get("conversation_id")}
    members = list({e.member_id for e in talking if e.id not in chosen})
    latest: dict[uuid.UUID, uuid.UUID] = {}
    if members:
        rows = await db.execute(
            select(col(Conversation.member_id), col(Conversation.id))
            .where(col(Conversation.member_id) == ids(members), col(Conversation.kind) == ConversationKind.member)
            .order_by(col(Conversation.member_id), col(Conversation.updated_at).desc())
            .ext(distinct_on(col(Conversation.member_id)))
        )
        latest = {m: c for m, c in rows if m is not None}
    created: dict[uuid.UUID, dict[str, Any]] = {}
    for e in talking:
        if e.id not in chosen and e.member_id not in latest and e.member_id not in created:
            created[e.member_id] = {
                "id": uuid.uuid4(),
                "creator_id": e.creator_id,
                "member_id": e.member_id,
                "kind": ConversationKind.member,
                "title": "Coaching program",
                "flagged": False,
                "created_at": datetime.now(UTC),
                "updated_at": now,
            }
    if created:
        await db.execute(insert(Conversation), list(created.values()))
    touched = {*chosen.values(), *latest.values()}
    if touched:
        await db.execute(
            update(Conversation)
            .where(col(Conversation.id) == ids(list(touched)))
            .values(updated_at=now)
            .execution_options(synchronize_session=False)
        )
    return [chosen.get(e.id) or latest.get(e.member_id) or created[e.member_id]["id"] for e in talking]


# ---- timers ----------------------------------------------------------------------------------------------


async def claim_due(db: AsyncSession, limit: int, lease_seconds: int = 300) -> list[tuple[uuid.UUID, uuid.UUID]]:
    """Claim due timers across tenants through the narrow SECURITY DEFINER path: (timer id, creator id)."""
    rows = await db.execute(
        text("SELECT timer_id, creator_id FROM claim_program_timers(:limit, :lease)"),
        {"limit": limit, "lease": lease_seconds},
    )
    return [(r[0], r[1]) for r in rows]
