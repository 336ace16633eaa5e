"""The incremental refresh: recompute what changed since the last one, into the tables the dashboard reads.

Row triggers (migration 0013) mark what changed in `analytics_dirty`; a refresh of one workspace takes a batch of
marks (DELETE ... RETURNING, so a mark written meanwhile waits for the next refresh), recomputes the facts of the
enrollments concerned (an enrollment that stepped, every enrollment of a member who was active) and adds the
difference (new facts minus old) to the sums of the cohort days they belong to, so no other enrollment is read; then
it recounts the twin's days marked, and judges the proactive decisions whose 48 h are over. It runs in one
transaction under a per-workspace advisory lock (a second worker skips the workspace), in the caller's tenant
session: everything stays under RLS. The dashboard only ever reads the day sums.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from backend.analytics.definitions import REACTIVATION
from backend.analytics.facts import Answer, EnrollmentInput, day_sums, enrollment_facts, merge, negate
from backend.programs.runtime import version_graph
from common.models import AnalyticsEnrollment, AnalyticsProgramDay, AnalyticsTwinDay

BATCH = 50_000  # marks taken per refresh (the rest wait for the next)
CHUNK = 2_000  # enrollments recomputed per round of queries

Key = tuple[uuid.UUID, int, date]  # (program, version, enrollment day)


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class RefreshStats:
    marks: int = 0
    enrollments: int = 0
    days: int = 0
    twin_days: int = 0
    contacts: int = 0
    busy: bool = False
    kinds: dict[str, int] = field(default_factory=dict)


def _uuids(values: Iterable[str]) -> list[uuid.UUID]:
    return [uuid.UUID(v) for v in values]


async def refresh(db: AsyncSession, creator_id: uuid.UUID, now: datetime | None = None) -> RefreshStats:
    """One refresh of this workspace in the caller's transaction (flushes, never commits)."""
    now = now or utcnow()
    stats = RefreshStats()
    locked = (
        await db.execute(
            text("SELECT pg_try_advisory_xact_lock(hashtextextended(:k, 0))"), {"k": f"analytics:{creator_id}"}
        )
    ).scalar()
    if not locked:
        stats.busy = True
        return stats
    marks = (
        await db.execute(
            text(
                "DELETE FROM analytics_dirty WHERE id = ANY(ARRAY("
                " SELECT id FROM analytics_dirty WHERE kind <> 'decision' OR due_at <= :now"
                " ORDER BY due_at LIMIT :n FOR UPDATE SKIP LOCKED)) RETURNING kind, ref"
            ),
            {"now": now, "n": BATCH},
        )
    ).all()
    by_kind: dict[str, set[str]] = defaultdict(set)
    for kind, ref in marks:
        by_kind[kind].add(ref)
    stats.marks = len(marks)
    stats.kinds = {k: len(v) for k, v in by_kind.items()}
    enrollments = set(_uuids(by_kind["enrollment"]))
    if by_kind["member"]:
        rows = await db.execute(
            text("SELECT id FROM program_enrollments WHERE member_id = ANY(:m)"), {"m": _uuids(by_kind["member"])}
        )
        enrollments |= set(rows.scalars())
    deltas: dict[Key, Delta] = {}
    ordered = sorted(enrollments)
    for i in range(0, len(ordered), CHUNK):
        for key, (n, change) in (await _refresh_enrollments(db, creator_id, ordered[i : i + CHUNK], now)).items():
            seen = deltas.get(key)
            deltas[key] = (n, change) if seen is None else (seen[0] + n, merge(seen[1], change))
    stats.enrollments = len(enrollments)
    stats.days = await _apply_days(db, creator_id, deltas)
    for day in sorted(by_kind["twin_day"]):
        await _refresh_twin_day(db, creator_id, date.fromisoformat(day))
    stats.twin_days = len(by_kind["twin_day"])
    stats.contacts = await _judge(db, creator_id, _uuids(by_kind["decision"]))
    await db.flush()
    return stats


FACT_COLUMNS = (
    "program_id, version, enrolled_day, completed, sent, answered, reached, dropped_at, waits, goals, metrics,"
    " streak_current, streak_longest, active_weeks"
)
Delta = tuple[int, dict[str, Any]]


async def _refresh_enrollments(
    db: AsyncSession, creator_id: uuid.UUID, ids: list[uuid.UUID], now: datetime
) -> dict[Key, Delta]:
    """Recompute these enrollments' facts; return, per cohort day, what changed in its sums (new minus old)."""
    rows = (
        await db.execute(
            text(
                "SELECT e.id, e.program_id, e.version_id, v.version, e.member_id, e.status, e.state, e.enrolled_at,"
                " e.updated_at, m.timezone FROM program_enrollments e"
                " JOIN program_versions v ON v.id = e.version_id JOIN members m ON m.id = e.member_id"
                " WHERE e.id = ANY(:ids)"
            ),
            {"ids": ids},
        )
    ).all()
    if not rows:
        return {}
    answers: dict[uuid.UUID, list[Answer]] = defaultdict(list)
    for eid, node, value, at in await db.execute(
        text(
            "SELECT enrollment_id, node_id, payload->>'value', received_at FROM program_events"
            " WHERE enrollment_id = ANY(:ids) AND type = 'answer' AND outcome = 'applied' AND node_id IS NOT NULL"
            " ORDER BY received_at, id"
        ),
        {"ids": ids},
    ):
        answers[eid].append(Answer(node, value, at))
    active: dict[uuid.UUID, list[datetime]] = defaultdict(list)
    for mid, first_at in await db.execute(
        text("SELECT member_id, first_at FROM analytics_activity WHERE member_id = ANY(:m)"),
        {"m": list({r.member_id for r in rows})},
    ):
        active[mid].append(first_at)
    goals: dict[uuid.UUID, dict[str, datetime]] = defaultdict(dict)
    for eid, node, at in await db.execute(
        text(
            "SELECT enrollment_id, node_id, min(achieved_at) FROM program_achievements"
            " WHERE enrollment_id = ANY(:ids) GROUP BY enrollment_id, node_id"
        ),
        {"ids": ids},
    ):
        goals[eid][node] = at
    changes: dict[Key, tuple[list[Any], list[Any]]] = defaultdict(lambda: ([], []))
    for old in (
        await db.execute(
            text(f"SELECT {FACT_COLUMNS} FROM analytics_enrollments WHERE enrollment_id = ANY(:ids)"), {"ids": ids}
        )
    ).mappings():
        changes[(old["program_id"], old["version"], old["enrolled_day"])][0].append(old)
    values: list[dict[str, Any]] = []
    for r in rows:
        graph = await version_graph(db, creator_id, r.version_id)
        facts = enrollment_facts(
            graph,
            EnrollmentInput(
                r.status,
                r.state,
                r.enrolled_at,
                r.updated_at,
                r.timezone,
                answers[r.id],
                active[r.member_id],
                goals[r.id],
            ),
            now,
        )
        day = r.enrolled_at.astimezone(UTC).date()
        values.append(
            {
                "id": uuid.uuid4(),
                "creator_id": creator_id,
                "enrollment_id": r.id,
                "program_id": r.program_id,
                "version": r.version,
                "member_id": r.member_id,
                "enrolled_day": day,
                "refreshed_at": now,
                **facts,
            }
        )
        changes[(r.program_id, r.version, day)][1].append(values[-1])
    stmt = insert(AnalyticsEnrollment.__table__)  # type: ignore[attr-defined]  # Core: no ORM bulk bookkeeping
    skip = {"id", "creator_id", "enrollment_id"}
    await db.execute(
        stmt.on_conflict_do_update(
            index_elements=["enrollment_id"],
            set_={c: stmt.excluded[c] for c in values[0] if c not in skip},
        ),
        values,
    )
    deltas: dict[Key, Delta] = {}
    for key, (before, after) in changes.items():
        n_old, sums_old = day_sums(before)
        n_new, sums_new = day_sums(after)
        deltas[key] = (n_new - n_old, merge(sums_new, negate(sums_old)))
    return deltas


async def _apply_days(db: AsyncSession, creator_id: uuid.UUID, deltas: dict[Key, Delta]) -> int:
    """Add each cohort day's change to its stored sums (incremental: no other enrollment is read)."""
    by_version: dict[tuple[uuid.UUID, int], list[date]] = defaultdict(list)
    for program_id, version, day in deltas:
        by_version[(program_id, version)].append(day)
    values = []
    for (program_id, version), days in by_version.items():
        stored = {
            day: (enrolled, data)
            for day, enrolled, data in await db.execute(
                text(
                    "SELECT day, enrolled, data FROM analytics_program_days"
                    " WHERE program_id = :p AND version = :v AND day = ANY(:d) FOR UPDATE"
                ),
                {"p": program_id, "v": version, "d": days},
            )
        }
        for day in days:
            n, change = deltas[(program_id, version, day)]
            enrolled, data = stored.get(day, (0, {}))
            values.append(
                {
                    "id": uuid.uuid4(),
                    "creator_id": creator_id,
                    "program_id": program_id,
                    "version": version,
                    "day": day,
                    "enrolled": enrolled + n,
                    "data": merge(data, change),
                }
            )
    if values:
        stmt = insert(AnalyticsProgramDay)
        await db.execute(
            stmt.on_conflict_do_update(
                index_elements=["program_id", "version", "day"],
                set_={"enrolled": stmt.excluded.enrolled, "data": stmt.excluded.data},
            ),
            values,
        )
    return len(values)


async def _refresh_twin_day(db: AsyncSession, creator_id: uuid.UUID, day: date) -> None:
    start = datetime(day.year, day.month, day.day, tzinfo=UTC)
    window = {"cid": creator_id, "start": start, "end": start + timedelta(days=1)}
    rows: dict[str, dict[str, Any]] = {}
    for mode, replies, grounded, refused, flagged, c_sum, c_n in await db.execute(
        text(
            "SELECT coalesce(m.mode, ''), count(*), count(*) FILTER (WHERE m.grounded),"
            " count(*) FILTER (WHERE m.grounded IS FALSE), count(*) FILTER (WHERE m.safety IS NOT NULL),"
            " coalesce(sum(m.consistency), 0), count(m.consistency)"
            " FROM messages m JOIN conversations c ON c.id = m.conversation_id AND c.kind = 'member'"
            " WHERE m.creator_id = :cid AND m.sender = 'twin' AND m.created_at >= :start AND m.created_at < :end"
            " GROUP BY 1"
        ),
        window,
    ):
        rows[f"mode:{mode}"] = {
            "mode": mode or "other",
            "replies": replies,
            "grounded": grounded,
            "refused": refused,
            "flagged": flagged,
            "consistency_sum": float(c_sum),
            "consistency_n": c_n,
        }
    day_row: dict[str, Any] = {"mode": "", "up": 0, "down": 0}
    for rating, n in await db.execute(
        text(
            "SELECT rating, count(*) FROM message_feedback WHERE created_at >= :start AND created_at < :end"
            " GROUP BY rating"
        ),
        {"start": window["start"], "end": window["end"]},
    ):
        if rating in ("up", "down"):
            day_row[rating] = n
    day_row["handoffs"] = (
        await db.execute(
            text(
                "SELECT count(*) FROM conversations WHERE kind = 'member' AND handoff_requested_at >= :start"
                " AND handoff_requested_at < :end"
            ),
            {"start": window["start"], "end": window["end"]},
        )
    ).scalar_one()
    rows["day"] = day_row
    await db.execute(text("DELETE FROM analytics_twin_days WHERE day = :d"), {"d": day})
    await db.execute(
        insert(AnalyticsTwinDay),
        [{"id": uuid.uuid4(), "creator_id": creator_id, "day": day, **r} for r in rows.values()],
    )


async def _judge(db: AsyncSession, creator_id: uuid.UUID, decision_ids: list[uuid.UUID]) -> int:
    """Contacted and held-out members: active again within 48 h of the decision? (Exact, from each active hour's
    first and last instant: only an hour with activity inside the window can qualify.)"""
    if not decision_ids:
        return 0
    result = await db.execute(
        text(
            "INSERT INTO analytics_contacts (id, creator_id, decision_id, trigger_id, member_id, holdout, at,"
            " reactivated)"
            " SELECT gen_random_uuid(), :cid, d.id, d.trigger_id, d.member_id, d.outcome = 'holdout', d.at,"
            " EXISTS (SELECT 1 FROM analytics_activity a WHERE a.member_id = d.member_id"
            "   AND a.hour >= date_trunc('hour', d.at) AND a.hour <= d.at + :window"
            "   AND a.last_at > d.at AND a.first_at <= d.at + :window)"
            " FROM engagement_decisions d WHERE d.id = ANY(:ids) AND d.outcome IN ('sent', 'holdout')"
            " ON CONFLICT (decision_id) DO NOTHING"
        ),
        {"cid": creator_id, "ids": decision_ids, "window": REACTIVATION},
    )
    return int(getattr(result, "rowcount", 0) or 0)
