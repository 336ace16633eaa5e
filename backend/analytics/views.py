"""The other views on the rollups: twin quality (twin days), proactive uplift (judged contacts), the overview of
every program, and the program's CSV export (the same cells as its API view, suppression included)."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import date

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from backend.analytics.definitions import ANSWER_MODES
from backend.analytics.schemas import (
    DayConsistency,
    Feedback,
    ModeStats,
    Overview,
    ProgramAnalytics,
    ProgramOverview,
    TwinQuality,
    Uplift,
)
from backend.analytics.service import Cells, check_period, day_sums
from backend.analytics.stats import proportion_diff, suppress
from backend.lib.errors import NotFound


async def twin_quality(db: AsyncSession, from_: date | None, to: date | None) -> TwinQuality:
    check_period(from_, to)
    rows = await db.execute(
        text(
            "SELECT day, mode, replies, grounded, refused, flagged, up, down, handoffs, consistency_sum,"
            " consistency_n FROM analytics_twin_days"
            " WHERE (CAST(:f AS date) IS NULL OR day >= :f) AND (CAST(:t AS date) IS NULL OR day <= :t)"
        ),
        {"f": from_, "t": to},
    )
    modes: dict[str, list[int]] = {}
    up = down = handoffs = flagged = 0
    trend: dict[date, list[float]] = {}
    for day, mode, replies, grounded, refused, flag, u, dn, h, c_sum, c_n in rows:
        up, down, handoffs, flagged = up + u, down + dn, handoffs + h, flagged + flag
        if mode in ANSWER_MODES:
            m = modes.setdefault(mode, [0, 0, 0])
            m[0], m[1], m[2] = m[0] + replies, m[1] + grounded, m[2] + refused
        if c_n:
            t = trend.setdefault(day, [0.0, 0])
            t[0], t[1] = t[0] + c_sum, t[1] + c_n
    cells = Cells()
    total = [sum(m[i] for m in modes.values()) for i in range(3)]
    return TwinQuality(
        replies=total[0],
        grounded_rate=total[1] / total[0] if total[0] else None,
        refused_rate=total[2] / total[0] if total[0] else None,
        by_mode={
            mode: ModeStats(
                replies=m[0], grounded_rate=m[1] / m[0] if m[0] else None, refused_rate=m[2] / m[0] if m[0] else None
            )
            for mode, m in sorted(modes.items())
        },
        # Thumbs, handoffs and safety flags each come from a member: 1-4 of them could point at someone.
        feedback=Feedback(up=cells.count("feedback.up", up), down=cells.count("feedback.down", down)),
        handoffs=cells.count("handoffs", handoffs),
        flagged=cells.count("flagged", flagged),
        consistency=[DayConsistency(day=d, mean=s / n) for d, (s, n) in sorted(trend.items()) if n >= 5],
        suppressed=cells.suppressed,
    )


async def uplift(db: AsyncSession, trigger_id: uuid.UUID) -> Uplift:
    exists = (
        await db.execute(text("SELECT 1 FROM engagement_triggers WHERE id = :t"), {"t": trigger_id})
    ).scalar_one_or_none()
    if exists is None:
        raise NotFound("Trigger not found")
    counts = {False: (0, 0, 0), True: (0, 0, 0)}
    for holdout, n, k, members in await db.execute(
        text(
            "SELECT holdout, count(*), count(*) FILTER (WHERE reactivated), count(DISTINCT member_id)"
            " FROM analytics_contacts WHERE trigger_id = :t GROUP BY holdout"
        ),
        {"t": trigger_id},
    ):
        counts[bool(holdout)] = (n, k, members)
    cells = Cells()
    (n1, k1, m1), (n2, k2, m2) = counts[False], counts[True]
    hidden1, hidden2 = suppress(m1), suppress(m2)
    r1 = r2 = None
    if hidden1:
        cells.suppressed += ["contacted", "reactivated_rate"]
    elif n1:
        r1 = k1 / n1
    if hidden2:
        cells.suppressed += ["holdout", "holdout_reactivated_rate"]
    elif n2:
        r2 = k2 / n2
    diff = None if hidden1 or hidden2 else proportion_diff(k1, n1, k2, n2)
    if diff is None and (hidden1 or hidden2):
        cells.suppressed += ["uplift", "ci95"]
    return Uplift(
        trigger_id=trigger_id,
        contacted=None if hidden1 else n1,
        holdout=None if hidden2 else n2,
        reactivated_rate=r1,
        holdout_reactivated_rate=r2,
        uplift=diff.diff if diff else None,
        ci95=list(diff.ci95) if diff else None,
        p_value=diff.p_value if diff else None,
        test=diff.test if diff else None,
        small_sample=diff.small_sample if diff else True,
        suppressed=cells.suppressed,
    )


async def overview(db: AsyncSession, from_: date | None, to: date | None) -> Overview:
    check_period(from_, to)
    programs = await db.execute(
        text(
            "SELECT p.id, p.name, EXISTS (SELECT 1 FROM program_experiments x WHERE x.program_id = p.id"
            " AND x.status = 'running') FROM programs p ORDER BY p.updated_at DESC LIMIT 500"
        )
    )
    cells = Cells()
    out = []
    for pid, name, running in programs.all():
        enrolled, d = await day_sums(db, pid, None, from_, to)
        completed, sent = int(d.get("completed", 0)), int(d.get("sent", 0))
        hidden = suppress(int(d.get("members_sent", 0)))
        if hidden:
            cells.suppressed.append(f"programs.{pid}.adherence")
        out.append(
            ProgramOverview(
                program_id=pid,
                name=name,
                enrolled=cells.count(f"programs.{pid}.enrolled", enrolled),
                completion_rate=cells.rate(f"programs.{pid}.completion_rate", completed, enrolled),
                adherence=None if hidden or not sent else min(1.0, int(d.get("answered", 0)) / sent),
                experiment=bool(running),
            )
        )
    return Overview(programs=out, suppressed=cells.suppressed)


def _cell(value: object) -> str:
    return "" if value is None else f"{value:.6g}" if isinstance(value, float) else str(value)


def program_csv(view: ProgramAnalytics) -> str:
    """The program view as rows `section,node_id,title,field,value,suppressed` (a hidden cell: empty value)."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["section", "node_id", "title", "field", "value", "suppressed"])
    hidden = set(view.suppressed)

    def row(section: str, node: str, title: str, field: str, value: object, name: str) -> None:
        w.writerow([section, node, title, field, _cell(value), "yes" if name in hidden else ""])

    for field in ("enrolled", "completed", "completion_rate", "adherence"):
        row("summary", "", "", field, getattr(view, field), field)
    for f in view.funnel:
        row("funnel", f.node_id, f.title, "reached", f.reached, f"funnel.{f.node_id}.reached")
        row("funnel", f.node_id, f.title, "dropped", f.dropped, f"funnel.{f.node_id}.dropped")
        row("funnel", f.node_id, f.title, "median_time_to_next", f.median_time_to_next, "")
    for m in view.metrics:
        name = f"metrics.{m.node_id}"
        lo, hi = m.ci95 if m.ci95 else (None, None)
        for field, value in (
            ("n", m.n), ("first_mean", m.first_mean), ("latest_mean", m.latest_mean),
            ("mean_change", m.mean_change), ("ci95_low", lo), ("ci95_high", hi), ("improved_share", m.improved_share),
        ):  # fmt: skip
            row("metrics", m.node_id, m.title, field, value, name)
    for b in view.adherence_detail.distribution:
        row("adherence", "", "", b.bucket, b.members, f"adherence_detail.distribution.{b.bucket}")
    for g in view.goals:
        row("goals", g.node_id, g.title, "reached", g.reached, f"goals.{g.node_id}.reached")
        row("goals", g.node_id, g.title, "rate", g.rate, f"goals.{g.node_id}.rate")
    return buf.getvalue()
