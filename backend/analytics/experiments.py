"""A/B experiments on program versions: start (two published versions, the primary outcome chosen before),
assignment at enrollment, stop, and the comparison on the outcome.

Assignment is a hash of (experiment, member): random with respect to anything about the member, about half each,
and sticky (a member who enrolls again, or twice at once, gets the same version) with nothing to store; the
enrollment's version records it.
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from backend.analytics.facts import is_metric
from backend.analytics.schemas import Arm, ExperimentIn, ExperimentOut, ExperimentResult
from backend.analytics.service import Cells
from backend.analytics.stats import SMALL_SAMPLE, proportion_diff, suppress, welch_moments
from backend.lib.errors import Conflict, InvalidInput
from backend.programs import repository
from backend.programs.graph import parse
from common.enums import ExperimentOutcome, ExperimentStatus
from common.models import ProgramExperiment


def arm_of(experiment_id: uuid.UUID, member_id: uuid.UUID) -> int:
    """0 (version A) or 1 (version B) for this member in this experiment, always the same."""
    digest = hashlib.sha256(experiment_id.bytes + member_id.bytes).digest()
    return digest[0] & 1


async def running(db: AsyncSession, program_id: uuid.UUID) -> ProgramExperiment | None:
    return (
        await db.execute(
            select(ProgramExperiment).where(
                col(ProgramExperiment.program_id) == program_id,
                col(ProgramExperiment.status) == ExperimentStatus.running,
            )
        )
    ).scalar_one_or_none()


async def assigned_version(db: AsyncSession, program_id: uuid.UUID, member_id: uuid.UUID) -> int | None:
    """The version a member enrolling now gets from a running experiment (None: no experiment)."""
    x = await running(db, program_id)
    if x is None:
        return None
    return x.version_b if arm_of(x.id, member_id) else x.version_a


async def start(
    db: AsyncSession,
    creator_id: uuid.UUID,
    user_id: uuid.UUID | None,
    program_id: uuid.UUID,
    data: ExperimentIn,
    now: datetime | None = None,
) -> ProgramExperiment:
    """Start an A/B; members enrolled from `now` on (a simulated clock may pass its own) are compared."""
    await repository.program(db, program_id, lock=True)  # 404; and two starts at once queue here
    versions = {v for v, _ in await repository.published_versions(db, program_id)}
    if data.version_a == data.version_b:
        raise InvalidInput("version_b: must differ from version_a")
    for field, v in (("version_a", data.version_a), ("version_b", data.version_b)):
        if v not in versions:
            raise InvalidInput(f"{field}: the program has no published version {v}")
    if data.outcome is ExperimentOutcome.metric:
        if not data.metric_node:
            raise InvalidInput("metric_node: required when the outcome is a metric")
        for v in (data.version_a, data.version_b):
            graph = parse(await repository.version_graph_by_number(db, program_id, v))[0]
            node = graph.nodes.get(data.metric_node)
            if node is None or not is_metric(node):
                raise InvalidInput(f"metric_node: not a metric check-in in version {v}")
    elif data.metric_node:
        raise InvalidInput("metric_node: only with the metric outcome")
    if await running(db, program_id) is not None:
        raise Conflict("An experiment is already running on this program; stop it first")
    x = ProgramExperiment(
        creator_id=creator_id,
        program_id=program_id,
        version_a=data.version_a,
        version_b=data.version_b,
        outcome=data.outcome,
        metric_node=data.metric_node,
        status=ExperimentStatus.running,
        started_at=now or datetime.now(UTC),
        created_by=user_id,
    )
    db.add(x)
    await db.flush()
    return x


async def stop(db: AsyncSession, program_id: uuid.UUID, now: datetime | None = None) -> ProgramExperiment:
    await repository.program(db, program_id)
    x = await running(db, program_id)
    if x is None:
        raise Conflict("No experiment is running on this program")
    x.status, x.stopped_at = ExperimentStatus.stopped, now or datetime.now(UTC)
    await db.flush()
    return x


async def listed(db: AsyncSession, program_id: uuid.UUID) -> list[ProgramExperiment]:
    await repository.program(db, program_id)
    rows = await db.execute(
        select(ProgramExperiment)
        .where(col(ProgramExperiment.program_id) == program_id)
        .order_by(col(ProgramExperiment.started_at).desc())
    )
    return list(rows.scalars())


_VALUE = {
    ExperimentOutcome.completion: ("CASE WHEN f.completed THEN 1.0 ELSE 0.0 END", "TRUE"),
    ExperimentOutcome.adherence: ("f.answered::float / f.sent", "f.sent > 0"),
    ExperimentOutcome.metric: (
        "(f.metrics->:node->>1)::float - (f.metrics->:node->>0)::float",
        "(f.metrics->:node->>2)::int >= 2",
    ),
}


async def result(db: AsyncSession, x: ProgramExperiment) -> ExperimentOut:
    """Each arm's members and value on the outcome since the start, and B - A with its test and interval."""
    value, where = _VALUE[ExperimentOutcome(x.outcome)]
    rows = await db.execute(
        text(
            f"SELECT f.version, count(*), sum({value}), coalesce(var_samp({value}), 0) FROM analytics_enrollments f"
            " JOIN program_enrollments e ON e.id = f.enrollment_id"
            f" WHERE f.program_id = :p AND f.version = ANY(:v) AND e.enrolled_at >= :start AND {where}"
            " AND (CAST(:stop AS timestamptz) IS NULL OR e.enrolled_at <= :stop) GROUP BY f.version"
        ),
        {
            "p": x.program_id,
            "v": [x.version_a, x.version_b],
            "start": x.started_at,
            "stop": x.stopped_at,
            "node": x.metric_node or "",
        },
    )
    moments: dict[int, tuple[int, float, float]] = {x.version_a: (0, 0.0, 0.0), x.version_b: (0, 0.0, 0.0)}
    for version, n, total, var in rows:
        moments[version] = (int(n), float(total or 0) / n if n else 0.0, float(var))
    cells = Cells()
    arms = []
    for label, v in (("a", x.version_a), ("b", x.version_b)):
        n, mean, _ = moments[v]
        hidden = suppress(n)
        if hidden:
            cells.suppressed += [f"arms.{label}.members", f"arms.{label}.value"]
        arms.append(Arm(version=v, members=None if hidden else n, value=None if hidden or not n else mean))
    (na, ma, va), (nb, mb, vb) = moments[x.version_a], moments[x.version_b]
    return ExperimentOut(
        id=x.id,
        program_id=x.program_id,
        version_a=x.version_a,
        version_b=x.version_b,
        outcome=ExperimentOutcome(x.outcome),
        metric_node=x.metric_node,
        status=ExperimentStatus(x.status),
        started_at=x.started_at,
        stopped_at=x.stopped_at,
        arms=arms,
        result=_compare(ExperimentOutcome(x.outcome), (na, ma, va), (nb, mb, vb), cells),
        suppressed=cells.suppressed,
    )


def _compare(
    outcome: ExperimentOutcome, a: tuple[int, float, float], b: tuple[int, float, float], cells: Cells
) -> ExperimentResult:
    (na, ma, va), (nb, mb, vb) = a, b
    if suppress(na) or suppress(nb) or not na or not nb:
        cells.suppressed.append("result")
        return ExperimentResult(
            difference=None, ci95=None, p_value=None, test=None, warning="Not enough members in each arm yet"
        )
    warning = (
        f"Fewer than {SMALL_SAMPLE} members in an arm: read the result with care"
        if min(na, nb) < SMALL_SAMPLE
        else None
    )
    found: Any
    if outcome is ExperimentOutcome.completion:
        found = proportion_diff(round(mb * nb), nb, round(ma * na), na)
        if found is None:
            return ExperimentResult(difference=None, ci95=None, p_value=None, test=None, warning=warning)
        return ExperimentResult(
            difference=found.diff, ci95=list(found.ci95), p_value=found.p_value, test=found.test, warning=warning
        )
    found = welch_moments(nb, mb, vb, na, ma, va)
    if found is None:
        return ExperimentResult(difference=None, ci95=None, p_value=None, test=None, warning=warning)
    return ExperimentResult(
        difference=found.diff, ci95=list(found.ci95), p_value=found.p_value, test="Welch t", warning=warning
    )
