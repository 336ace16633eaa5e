"""The analytics answers as the page's rows: chart points (numbers) and table cells (text people read).

A suppressed cell (fewer than 5 members behind it) is `None` in the API: charts leave it out, tables say so.
Each table is (header, rows) of text, so the same numbers also download as CSV.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from frontend.api.contracts import ExperimentOut, Overview, ProgramAnalytics, Retention, TwinQuality, Uplift

FEW = "fewer than 5 members"
Table = tuple[list[str], list[list[str]]]


def count(value: int | None) -> str:
    return FEW if value is None else f"{value:,}"


def rate(value: float | None) -> str:
    return FEW if value is None else f"{value * 100:.0f}%"


def num(value: float | None, signed: bool = False) -> str:
    return FEW if value is None else (f"{value:+.2f}" if signed else f"{value:.2f}")


def interval(ci: list[float] | None, scale: float = 1.0, unit: str = "") -> str:
    if not ci or len(ci) != 2:
        return "-"
    return f"{ci[0] * scale:+.1f}{unit} to {ci[1] * scale:+.1f}{unit}"


def duration(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    if seconds < 3600:
        return f"{seconds / 60:.0f} min"
    if seconds < 2 * 86400:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} days"


def to_csv(table: Table) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(table[0])
    writer.writerows(table[1])
    return out.getvalue()


def overview(o: Overview) -> Table:
    header = ["Program", "Members enrolled", "Completion", "Adherence", "Experiment"]
    rows = [
        [p.name, count(p.enrolled), rate(p.completion_rate), rate(p.adherence), "running" if p.experiment else ""]
        for p in o.programs
    ]
    return header, rows


def funnel(view: ProgramAnalytics) -> tuple[list[dict[str, Any]], Table]:
    """The program's own steps, by name, in the order members meet them."""
    points = [{"step": s.title or s.node_id, "reached": s.reached or 0, "dropped": s.dropped or 0} for s in view.funnel]
    rows = [
        [s.title or s.node_id, count(s.reached), count(s.dropped), duration(s.median_time_to_next)] for s in view.funnel
    ]
    return points, (["Step", "Members who reached it", "Dropped there", "Median time to the next step"], rows)


def metrics(view: ProgramAnalytics) -> tuple[list[dict[str, Any]], Table]:
    points = [
        {"metric": m.title or m.node_id, "first": round(m.first_mean, 2), "latest": round(m.latest_mean, 2)}
        for m in view.metrics
        if m.first_mean is not None and m.latest_mean is not None
    ]
    rows = [
        [m.title or m.node_id, count(m.n), num(m.first_mean), num(m.latest_mean), num(m.mean_change, signed=True),
         interval(m.ci95), rate(m.improved_share)]
        for m in view.metrics
    ]  # fmt: skip
    header = ["Metric", "Members (n)", "First (mean)", "Latest (mean)", "Change", "95% interval", "Improved"]
    return points, (header, rows)


def adherence(view: ProgramAnalytics) -> tuple[list[dict[str, Any]], Table]:
    d = view.adherence_detail
    points = [{"bucket": b.bucket, "members": b.members or 0} for b in d.distribution]
    rows = [[b.bucket, count(b.members)] for b in d.distribution]
    return points, (["Share of check-ins answered", "Members"], rows)


def goals(view: ProgramAnalytics) -> Table:
    rows = [[g.title or g.node_id, count(g.reached), rate(g.rate), duration(g.median_time)] for g in view.goals]
    return ["Goal", "Members who reached it", "Share", "Median time from enrollment"], rows


def retention(r: Retention) -> tuple[list[dict[str, Any]], Table]:
    """Cohorts by enrollment week; the chart is the share active each week after, over every cohort shown."""
    weeks = max((len(c.active) for c in r.cohorts), default=0)
    header = ["Enrolled in the week of", "Members", *[f"Week {i}" for i in range(weeks)]]
    rows = [
        [c.week.isoformat(), count(c.members), *[rate(a) for a in c.active], *[""] * (weeks - len(c.active))]
        for c in r.cohorts
    ]
    points = []
    for i in range(weeks):
        pairs = [(c.members, c.active[i]) for c in r.cohorts if i < len(c.active)]
        known = [(m, a) for m, a in pairs if m is not None and a is not None]
        total = sum(m for m, _ in known)
        if total:
            points.append({"week": f"Week {i}", "active": round(100 * sum(m * a for m, a in known) / total, 1)})
    return points, (header, rows)


def experiment(x: ExperimentOut) -> Table:
    """A share (completion, adherence) reads as a percentage and its difference in points; a metric as is."""
    res = x.result
    share = x.outcome != "metric"
    value = rate if share else num
    rows = [[f"Version {a.version}", count(a.members), value(a.value)] for a in x.arms]
    if share:
        diff = "-" if res.difference is None else f"{res.difference * 100:+.0f} points"
        rows.append(["Difference (B - A)", "", diff])
        rows.append(["95% interval", "", interval(res.ci95, 100, " pt")])
    else:
        rows.append(["Difference (B - A)", "", num(res.difference, signed=True)])
        rows.append(["95% interval", "", interval(res.ci95)])
    rows.append(["p-value", "", "-" if res.p_value is None else f"{res.p_value:.3f}"])
    return [f"Arm ({x.outcome}, {x.status})", "Members", "Value"], rows


def uplift(name: str, u: Uplift) -> list[str]:
    return [
        name, count(u.contacted), count(u.holdout), rate(u.reactivated_rate), rate(u.holdout_reactivated_rate),
        "-" if u.uplift is None else f"{u.uplift * 100:+.0f} points", interval(u.ci95, 100, " pt"),
        "too few members to judge" if u.small_sample else "",
    ]  # fmt: skip


UPLIFT_HEADER = ["Trigger", "Contacted", "Held out", "Active again in 48 h (contacted)",
                 "Active again in 48 h (held out)", "Uplift", "95% interval", "Note"]  # fmt: skip


def twin(t: TwinQuality) -> tuple[list[dict[str, Any]], Table, Table]:
    points = [{"day": d.day.isoformat(), "consistency": round(d.mean, 3)} for d in t.consistency]
    summary = [
        ["Replies", f"{t.replies:,}"],
        ["Grounded in your material", rate(t.grounded_rate)],
        ["Refused (not in my material)", rate(t.refused_rate)],
        ["Thumbs up", count(t.feedback.up)],
        ["Thumbs down", count(t.feedback.down)],
        ["Asked for a person", count(t.handoffs)],
        ["Safety flags", count(t.flagged)],
    ]
    modes = [[mode, count(m.replies), rate(m.grounded_rate), rate(m.refused_rate)] for mode, m in t.by_mode.items()]
    return points, (["Twin quality", "Value"], summary), (["Mode", "Replies", "Grounded", "Refused"], modes)
