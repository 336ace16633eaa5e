"""The Analytics page's rows: suppressed cells read "fewer than 5 members", steps by name, CSV as shown."""

from __future__ import annotations

import uuid
from datetime import date

from frontend.api.contracts import (
    AdherenceDetail,
    Bucket,
    Cohort,
    FunnelStep,
    MetricChange,
    ProgramAnalytics,
    Retention,
)
from frontend.pages.analytics import rows
from frontend.pages.analytics.state import period_dates


def view(**changes: object) -> ProgramAnalytics:
    base = ProgramAnalytics(
        program_id=uuid.uuid4(), name="Stoic morning", version=None, versions=[1, 2], enrolled=150, completed=None,
        completion_rate=None, adherence=0.675, suppressed=["completed", "completion_rate"], goals=[],
        funnel=[FunnelStep(node_id="welcome", title="Welcome", type="message", reached=150, dropped=None,
                           median_time_to_next=5400.0),
                FunnelStep(node_id="x1", title="", type="end", reached=3, dropped=0)],
        metrics=[MetricChange(node_id="intention", title="Morning intention", n=90, first_mean=2.6, latest_mean=3.4,
                              mean_change=0.8, ci95=[0.55, 1.05], improved_share=0.61)],
        adherence_detail=AdherenceDetail(sent=10, answered=7, members=150, streak_current=[], streak_longest=[],
                                         distribution=[Bucket(bucket="90-100%", members=None)]),
    )  # fmt: skip
    for k, v in changes.items():
        setattr(base, k, v)
    return base


def test_suppressed_cells_say_so_and_steps_go_by_name() -> None:
    points, (header, table) = rows.funnel(view())
    assert header[0] == "Step"
    assert table[0] == ["Welcome", "150", rows.FEW, "1.5 h"]
    assert table[1][0] == "x1"  # a step without a title goes by its id
    assert points[0] == {"step": "Welcome", "reached": 150, "dropped": 0}
    assert rows.adherence(view())[1][1] == [["90-100%", "fewer than 5 members"]]
    assert rows.rate(None) == rows.count(None) == "fewer than 5 members"


def test_metric_change_reads_as_first_latest_change_and_interval() -> None:
    points, (_, table) = rows.metrics(view())
    assert table == [["Morning intention", "90", "2.60", "3.40", "+0.80", "+0.6 to +1.1", "61%"]]
    assert points == [{"metric": "Morning intention", "first": 2.6, "latest": 3.4}]


def test_retention_chart_weights_cohorts_and_leaves_hidden_ones_out() -> None:
    r = Retention(program_id=uuid.uuid4(), suppressed=[], cohorts=[
        Cohort(week=date(2026, 10, 5), members=30, active=[1.0, 0.5]),
        Cohort(week=date(2026, 10, 12), members=10, active=[0.8]),
        Cohort(week=date(2026, 10, 19), members=None, active=[None]),
    ])  # fmt: skip
    points, (header, table) = rows.retention(r)
    assert header == ["Enrolled in the week of", "Members", "Week 0", "Week 1"]
    assert points == [{"week": "Week 0", "active": 95.0}, {"week": "Week 1", "active": 50.0}]
    assert table[1] == ["2026-10-12", "10", "80%", ""]
    assert table[2] == ["2026-10-19", rows.FEW, rows.FEW, ""]
    assert rows.to_csv((header, table)).splitlines()[1] == "2026-10-05,30,100%,50%"


def test_periods_are_enrollment_days_inclusive() -> None:
    assert period_dates("all") == (None, None)
    assert period_dates("7", date(2026, 12, 7)) == (date(2026, 12, 1), date(2026, 12, 7))
