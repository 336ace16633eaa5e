"""One enrollment's figures, and the sums of a day's cohort of them: pure functions (no I/O), so each definition
in `definitions.py` is checked against hand-computed figures. The rollup job feeds them rows; the service merges
the day sums the dashboard reads."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from backend.analytics.definitions import ADHERENCE_BUCKETS, MAX_WEEKS, METRIC_KINDS, STREAK_BUCKETS
from backend.lib.streaks import streaks
from backend.programs.engine import coerce_answer, zone
from backend.programs.graph import Graph, Node
from common.enums import EnrollmentStatus, WaitingFor

RUNNING = (EnrollmentStatus.active, EnrollmentStatus.paused)


def is_metric(node: Node) -> bool:
    return node.type == "checkin" and node.data.get("kind") in METRIC_KINDS and bool(node.data.get("metric"))


def monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


@dataclass(frozen=True)
class Answer:
    node: str
    value: Any
    at: datetime


@dataclass
class EnrollmentInput:
    status: str
    state: Mapping[str, Any]
    enrolled_at: datetime
    updated_at: datetime
    timezone: str
    answers: list[Answer] = field(default_factory=list)  # accepted answers, oldest first
    active: list[datetime] = field(default_factory=list)  # the member's activity (events, own messages)
    goals: dict[str, datetime] = field(default_factory=dict)  # goal node -> first reached


def enrollment_facts(graph: Graph, e: EnrollmentInput, now: datetime) -> dict[str, Any]:
    """The columns of `analytics_enrollments` for one enrollment (see definitions.py for each)."""
    state = e.state
    visits: Mapping[str, int] = state.get("visits") or {}
    checkins = {n.id for n in graph.nodes.values() if n.type == "checkin"}
    pending = int(e.status in RUNNING and state.get("waiting") == WaitingFor.answer and state.get("node") in checkins)
    sent = sum(int(visits.get(c, 0)) for c in checkins) - pending
    answers = [a for a in e.answers if a.node in checkins]
    completed = e.status == EnrollmentStatus.completed
    dropped = state.get("node") if e.status in (EnrollmentStatus.unenrolled, EnrollmentStatus.paused) else None
    metrics: dict[str, list[Any]] = {}
    for a in answers:
        node = graph.nodes[a.node]
        if not is_metric(node):
            continue
        value, error = coerce_answer(node.data, a.value)
        if error is not None:
            continue
        seen = metrics.get(a.node)
        metrics[a.node] = [value, value, 1] if seen is None else [seen[0], value, seen[2] + 1]
    for node_id, m in metrics.items():  # [first, latest, answers, improved]
        change = float(m[1]) - float(m[0])
        m.append(change < 0 if graph.nodes[node_id].data.get("lower_is_better") else change > 0)
    tz = zone(e.timezone)
    local_days = [a.at.astimezone(tz).date() for a in answers]
    s = streaks(local_days, now.astimezone(tz).date())
    start_week = monday(e.enrolled_at.date())
    weeks = {
        (monday(t.date()) - start_week).days // 7 for t in [*e.active, *(a.at for a in answers)] if t >= e.enrolled_at
    }
    return {
        "completed": completed,
        "sent": max(0, sent),
        "answered": len(answers),
        "reached": sorted(n for n, c in visits.items() if c),
        "dropped_at": dropped,
        "waits": dict(state.get("waits") or {}),
        "goals": {n: max(0.0, (t - e.enrolled_at).total_seconds()) for n, t in e.goals.items()},
        "metrics": metrics,
        "streak_current": s.current,
        "streak_longest": s.longest,
        "active_weeks": sorted(w for w in weeks if 0 <= w <= MAX_WEEKS),
    }


# ---- sums over a day's cohort -----------------------------------------------------------------------------


def time_bucket(seconds: float) -> int:
    """Quarter-octave buckets: bucket b holds [2^(b/4) - 1, 2^((b+1)/4) - 1) seconds."""
    return int(4 * math.log2(max(0.0, seconds) + 1))


def bucket_median(hist: Mapping[str, int]) -> float | None:
    """The median of a quarter-octave histogram: the geometric middle of the bucket holding it."""
    total = sum(hist.values())
    if not total:
        return None
    seen = 0
    for b in sorted(hist, key=int):
        seen += hist[b]
        if seen * 2 >= total:
            return 0.0 if int(b) == 0 else 2 ** ((int(b) + 0.5) / 4) - 1
    return None


def streak_bucket(days: int) -> int:
    for i, (lo, hi) in enumerate(STREAK_BUCKETS):
        if days >= lo and (hi is None or days <= hi):
            return i
    return 0


def _bump(d: dict[str, Any], key: str, by: float = 1) -> None:
    d[key] = d.get(key, 0) + by


def day_sums(rows: Iterable[Mapping[str, Any]]) -> tuple[int, dict[str, Any]]:
    """(enrolled, the `data` of `analytics_program_days`) from the facts of one day's cohort."""
    enrolled = 0
    data: dict[str, Any] = {
        "completed": 0,
        "sent": 0,
        "answered": 0,
        "members_sent": 0,
        "adherence": [0] * ADHERENCE_BUCKETS,
        "streak_current": [0] * len(STREAK_BUCKETS),
        "streak_longest": [0] * len(STREAK_BUCKETS),
        "reached": {},
        "dropped": {},
        "waits": {},
        "goals": {},
        "metrics": {},
        "weeks": {},
    }
    for r in rows:
        enrolled += 1
        data["completed"] += int(r["completed"])
        data["sent"] += r["sent"]
        data["answered"] += r["answered"]
        if r["sent"]:
            data["members_sent"] += 1
            share = min(1.0, r["answered"] / r["sent"])
            data["adherence"][min(ADHERENCE_BUCKETS - 1, int(share * ADHERENCE_BUCKETS))] += 1
            data["streak_current"][streak_bucket(r["streak_current"])] += 1
            data["streak_longest"][streak_bucket(r["streak_longest"])] += 1
        for node in r["reached"]:
            _bump(data["reached"], node)
        if r["dropped_at"]:
            _bump(data["dropped"], r["dropped_at"])
        for node, seconds in r["waits"].items():
            _bump(data["waits"].setdefault(node, {}), str(time_bucket(float(seconds))))
        for node, seconds in r["goals"].items():
            _bump(data["goals"].setdefault(node, {}), str(time_bucket(float(seconds))))
        for node, (first, latest, count, improved) in r["metrics"].items():
            if count < 2:
                continue  # one answer: no change to measure
            m = data["metrics"].setdefault(node, {"n": 0, "s1": 0.0, "s2": 0.0, "sd": 0.0, "sdd": 0.0, "imp": 0})
            change = float(latest) - float(first)
            m["n"] += 1
            m["s1"] += float(first)
            m["s2"] += float(latest)
            m["sd"] += change
            m["sdd"] += change * change
            m["imp"] += int(improved)
        for w in r["active_weeks"]:
            _bump(data["weeks"], str(w))
    return enrolled, data


def negate(a: Any) -> Any:
    """A day sum with every count's sign flipped (merging it takes a contribution back out)."""
    if isinstance(a, dict):
        return {k: negate(v) for k, v in a.items()}
    if isinstance(a, list):
        return [negate(v) for v in a]
    return -a


def merge(a: Any, b: Any) -> Any:
    """Add two day sums (numbers add, lists add element-wise, dicts key by key)."""
    if isinstance(a, dict) and isinstance(b, dict):
        out = dict(a)
        for k, v in b.items():
            out[k] = merge(out[k], v) if k in out else v
        return out
    if isinstance(a, list) and isinstance(b, list):
        longest, shortest = (a, b) if len(a) >= len(b) else (b, a)
        return [x + (shortest[i] if i < len(shortest) else 0) for i, x in enumerate(longest)]
    return a + b
