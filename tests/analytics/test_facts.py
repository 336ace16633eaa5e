"""One enrollment's facts and a cohort's sums, by hand (no database): what counts as sent, answered, dropped,
a metric's improvement when lower is better, and that adding then taking a contribution back out is exact."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from backend.analytics.facts import (
    Answer,
    EnrollmentInput,
    bucket_median,
    day_sums,
    enrollment_facts,
    merge,
    negate,
    time_bucket,
)
from backend.programs.graph import parse
from tests.fixtures.analytics import metric_graph, nonzero

T0 = datetime(2026, 10, 24, 22, 0, tzinfo=UTC)  # Europe/Berlin leaves summer time the next night


def state(node: str, waiting: str | None, moods: int) -> dict[str, object]:
    return {"node": node, "waiting": waiting, "visits": {"start": 1, "mood": moods, "enough": moods}}


def test_the_check_in_still_open_is_not_sent_until_the_enrollment_ends() -> None:
    graph = parse(metric_graph())[0]
    answers = [Answer("mood", 4, T0 + timedelta(minutes=5))]
    running = EnrollmentInput("active", state("mood", "answer", 2), T0, T0, "UTC", answers)
    facts = enrollment_facts(graph, running, T0 + timedelta(days=1))
    assert facts["sent"] == 1 and facts["answered"] == 1 and facts["dropped_at"] is None
    left = EnrollmentInput("unenrolled", state("mood", "answer", 2), T0, T0, "UTC", answers)
    facts = enrollment_facts(graph, left, T0 + timedelta(days=1))
    assert facts["sent"] == 2 and facts["answered"] == 1 and facts["dropped_at"] == "mood"


def test_metric_first_latest_and_lower_is_better() -> None:
    raw = metric_graph()
    raw["nodes"][1]["data"]["lower_is_better"] = True  # e.g. a stress score
    graph = parse(raw)[0]
    answers = [
        Answer("mood", "5", T0),
        Answer("mood", 3, T0 + timedelta(days=1)),
        Answer("mood", 4, T0 + timedelta(days=2)),
    ]
    e = EnrollmentInput("completed", state("end", None, 3), T0, T0, "Europe/Berlin", answers)
    facts = enrollment_facts(graph, e, T0 + timedelta(days=3))
    assert facts["metrics"] == {"mood": [5, 4, 3, True]}  # 5 -> 4: lower, so improved
    # In Berlin: 25 Oct 00:00 CEST, 25 Oct 23:00 CET (summer time ended in between), 26 Oct 23:00 CET: two local
    # days; in UTC (24, 25, 26 Oct) they would be three.
    assert facts["streak_longest"] == 2


def test_sums_take_a_contribution_back_out_exactly() -> None:
    graph = parse(metric_graph())[0]
    rows = []
    for i, answered in enumerate(([2, 4], [3], [], [1, 5, 5])):
        answers = [Answer("mood", v, T0 + timedelta(days=d)) for d, v in enumerate(answered)]
        e = EnrollmentInput("active", state("next", None, 3), T0, T0, "UTC", answers)
        rows.append({**enrollment_facts(graph, e, T0 + timedelta(days=5)), "i": i})
    n, all_four = day_sums(rows)
    _, first_three = day_sums(rows[:3])
    _, last = day_sums(rows[3:])
    assert n == 4 and nonzero(merge(all_four, negate(last))) == nonzero(first_three)
    assert all_four["metrics"]["mood"] == {"n": 2, "s1": 3.0, "s2": 9.0, "sd": 6.0, "sdd": 20.0, "imp": 2}
    assert all_four["sent"] == 12 and all_four["answered"] == 6 and all_four["members_sent"] == 4


def test_median_of_a_time_histogram_is_within_a_quarter_octave() -> None:
    for seconds in (0.0, 1.0, 59.0, 900.0, 36_000.0, 3e6):
        hist = {str(time_bucket(seconds)): 3}
        found = bucket_median(hist)
        assert found is not None and (found == seconds == 0 or abs(found - seconds) <= 0.1 * seconds + 1)
    assert bucket_median({}) is None
