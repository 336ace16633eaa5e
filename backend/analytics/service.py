"""Analytics reads: every view is built from the rollups (day sums, contacts, twin days), never from raw events.
Small cells are suppressed here, in one place (`Cells`), for the API and the CSV alike."""

from __future__ import annotations

import uuid
from collections import deque
from datetime import date
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from backend.analytics.definitions import ADHERENCE_BUCKETS, STREAK_BUCKETS
from backend.analytics.facts import bucket_median, is_metric, merge, monday
from backend.analytics.schemas import (
    AdherenceDetail,
    Bucket,
    Cohort,
    FunnelStep,
    GoalStat,
    MetricChange,
    ProgramAnalytics,
    Retention,
)
from backend.analytics.stats import paired_sums, suppress
from backend.lib.errors import InvalidInput, NotFound
from backend.programs import repository
from backend.programs.graph import Graph, parse
from backend.programs.validation import step_title


class Cells:
    """Collects the names of suppressed cells while a view is built."""

    def __init__(self) -> None:
        self.suppressed: list[str] = []

    def count(self, name: str, n: int) -> int | None:
        if suppress(n):
            self.suppressed.append(name)
            return None
        return n

    def rate(self, name: str, k: int, n: int) -> float | None:
        """k / n, hidden when either count describes 1-4 members (a rate of a hidden count reveals it)."""
        if suppress(n) or suppress(k):
            self.suppressed.append(name)
            return None
        return k / n if n else None


def check_period(from_: date | None, to: date | None) -> None:
    if from_ is not None and to is not None and from_ > to:
        raise InvalidInput("from: must be on or before to")


async def _program(db: AsyncSession, program_id: uuid.UUID) -> tuple[str, list[int]]:
    p = await repository.program(db, program_id)  # 404 for an unknown id or another workspace's
    return p.name, [v for v, _ in await repository.published_versions(db, program_id)]


async def _graph(db: AsyncSession, program_id: uuid.UUID, version: int | None) -> Graph:
    if version is None:
        return Graph({}, [])
    return parse(await repository.version_graph_by_number(db, program_id, version))[0]


def walk(graph: Graph) -> list[str]:
    """The graph's nodes from the start, breadth first (how the funnel is drawn); unreachable ones last."""
    order: list[str] = []
    queue = deque([graph.start] if graph.start else [])
    seen = set(queue)
    while queue:
        node = queue.popleft()
        order.append(node)
        for edge in graph.out.get(node, []):
            if edge.target not in seen:
                seen.add(edge.target)
                queue.append(edge.target)
    return order + [n for n in graph.nodes if n not in seen]


async def day_sums(
    db: AsyncSession, program_id: uuid.UUID, version: int | None, from_: date | None, to: date | None
) -> tuple[int, dict[str, Any]]:
    """The merged day sums of the program's cohorts enrolled in [from, to] (one version, or all)."""
    rows = await db.execute(
        text(
            "SELECT enrolled, data FROM analytics_program_days WHERE program_id = :p"
            " AND (CAST(:v AS integer) IS NULL OR version = :v)"
            " AND (CAST(:f AS date) IS NULL OR day >= :f) AND (CAST(:t AS date) IS NULL OR day <= :t)"
        ),
        {"p": program_id, "v": version, "f": from_, "t": to},
    )
    enrolled, data = 0, dict[str, Any]()
    for n, d in rows:
        enrolled += n
        data = merge(data, d)
    return enrolled, data


def _buckets(cells: Cells, name: str, counts: list[int], labels: list[str]) -> list[Bucket]:
    padded = counts + [0] * (len(labels) - len(counts))
    return [
        Bucket(bucket=label, members=cells.count(f"{name}.{label}", n)) for label, n in zip(labels, padded, strict=True)
    ]


ADHERENCE_LABELS = [f"{10 * i}-{10 * (i + 1)}%" for i in range(ADHERENCE_BUCKETS)]
STREAK_LABELS = [
    f"{lo}+ days" if hi is None else f"{lo}-{hi} days" if hi != lo else f"{lo} days" for lo, hi in STREAK_BUCKETS
]


async def program_view(
    db: AsyncSession, program_id: uuid.UUID, version: int | None, from_: date | None, to: date | None
) -> ProgramAnalytics:
    check_period(from_, to)
    name, versions = await _program(db, program_id)
    if version is not None and version not in versions:
        raise NotFound(f"The program has no published version {version}")
    graph = await _graph(db, program_id, version if version is not None else (versions[-1] if versions else None))
    enrolled, d = await day_sums(db, program_id, version, from_, to)
    cells = Cells()
    completed = int(d.get("completed", 0))
    reached: dict[str, int] = d.get("reached", {})
    nodes = walk(graph) + sorted(n for n in reached if n not in graph.nodes)
    funnel = []
    for node_id in nodes:
        node = graph.nodes.get(node_id)
        waits = d.get("waits", {}).get(node_id, {})
        funnel.append(
            FunnelStep(
                node_id=node_id,
                title=step_title(node) if node else node_id,
                type=node.type if node else "",
                reached=cells.count(f"funnel.{node_id}.reached", reached.get(node_id, 0)),
                dropped=cells.count(f"funnel.{node_id}.dropped", d.get("dropped", {}).get(node_id, 0)),
                median_time_to_next=None if suppress(sum(waits.values())) else bucket_median(waits),
            )
        )
    metric_ids = [n for n in nodes if (node := graph.nodes.get(n)) is not None and is_metric(node)]
    metric_ids += sorted(n for n in d.get("metrics", {}) if n not in metric_ids)
    metrics = [_metric(cells, graph, node_id, d.get("metrics", {}).get(node_id)) for node_id in metric_ids]
    goals = []
    for node_id in [n for n in nodes if (node := graph.nodes.get(n)) is not None and node.type == "goal"]:
        hist = d.get("goals", {}).get(node_id, {})
        k = sum(hist.values())
        goals.append(
            GoalStat(
                node_id=node_id,
                title=step_title(graph.nodes[node_id]),
                reached=cells.count(f"goals.{node_id}.reached", k),
                rate=cells.rate(f"goals.{node_id}.rate", k, enrolled),
                median_time=None if suppress(k) else bucket_median(hist),
            )
        )
    members_sent = int(d.get("members_sent", 0))
    hidden = suppress(members_sent)
    if hidden:
        cells.suppressed += ["adherence", "adherence_detail.sent", "adherence_detail.answered"]
    detail = AdherenceDetail(
        sent=None if hidden else int(d.get("sent", 0)),
        answered=None if hidden else int(d.get("answered", 0)),
        members=cells.count("adherence_detail.members", members_sent),
        distribution=_buckets(cells, "adherence_detail.distribution", d.get("adherence", []), ADHERENCE_LABELS),
        streak_current=_buckets(cells, "adherence_detail.streak_current", d.get("streak_current", []), STREAK_LABELS),
        streak_longest=_buckets(cells, "adherence_detail.streak_longest", d.get("streak_longest", []), STREAK_LABELS),
    )
    sent = int(d.get("sent", 0))
    adherence = None if hidden or not sent else min(1.0, int(d.get("answered", 0)) / sent)
    return ProgramAnalytics(
        program_id=program_id,
        name=name,
        version=version,
        versions=versions,
        enrolled=cells.count("enrolled", enrolled),
        completed=cells.count("completed", completed),
        completion_rate=cells.rate("completion_rate", completed, enrolled),
        adherence=adherence,
        funnel=funnel,
        metrics=metrics,
        suppressed=cells.suppressed,
        adherence_detail=detail,
        goals=goals,
    )


def _metric(cells: Cells, graph: Graph, node_id: str, m: dict[str, Any] | None) -> MetricChange:
    node = graph.nodes.get(node_id)
    title = step_title(node) if node else node_id
    n = int(m["n"]) if m else 0
    change = paired_sums(n, m["s1"], m["s2"], m["sd"], m["sdd"], m["imp"]) if m else None
    if change is None or suppress(n):
        if suppress(n):
            cells.suppressed.append(f"metrics.{node_id}")
        empty = None if suppress(n) else 0
        return MetricChange(
            node_id=node_id, title=title, n=empty, first_mean=None, latest_mean=None, mean_change=None,
            ci95=None, improved_share=None,
        )  # fmt: skip
    return MetricChange(
        node_id=node_id,
        title=title,
        n=n,
        first_mean=change.first_mean,
        latest_mean=change.latest_mean,
        mean_change=change.mean_change,
        ci95=list(change.ci95) if change.ci95 else None,
        improved_share=change.improved_share,
        p_value=change.p_value,
    )


async def retention(
    db: AsyncSession, program_id: uuid.UUID, version: int | None, from_: date | None, to: date | None
) -> Retention:
    """Weekly cohorts by enrollment week: the share of each cohort active in each following week."""
    check_period(from_, to)
    _, versions = await _program(db, program_id)
    if version is not None and version not in versions:
        raise NotFound(f"The program has no published version {version}")
    rows = await db.execute(
        text(
            "SELECT day, enrolled, data->'weeks' FROM analytics_program_days WHERE program_id = :p"
            " AND (CAST(:v AS integer) IS NULL OR version = :v)"
            " AND (CAST(:f AS date) IS NULL OR day >= :f) AND (CAST(:t AS date) IS NULL OR day <= :t)"
        ),
        {"p": program_id, "v": version, "f": from_, "t": to},
    )
    weeks: dict[date, tuple[int, dict[str, int]]] = {}
    for day, enrolled, active in rows:
        week = monday(day)
        n, seen = weeks.get(week, (0, {}))
        weeks[week] = (n + enrolled, merge(seen, active or {}))
    cells = Cells()
    cohorts = []
    for week in sorted(weeks):
        n, active = weeks[week]
        horizon = max([int(k) for k in active] or [0])
        name = f"cohorts.{week.isoformat()}"
        cohorts.append(
            Cohort(
                week=week,
                members=cells.count(f"{name}.members", n),
                active=[cells.rate(f"{name}.week{k}", active.get(str(k), 0), n) for k in range(horizon + 1)],
            )
        )
    return Retention(program_id=program_id, cohorts=cohorts, suppressed=cells.suppressed)
