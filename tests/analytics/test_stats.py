"""The analytics' statistics against hand-computed figures (and published worked examples)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from scipy import stats as sps

from backend.analytics.stats import (
    paired_change,
    proportion_diff,
    rate,
    suppress,
    welch,
    wilson,
)
from backend.lib.streaks import broken_on, streaks


def close(a: float, b: float, tol: float = 5e-4) -> bool:
    return abs(a - b) <= tol


def test_small_cells_are_suppressed_zero_is_not() -> None:
    assert [suppress(n) for n in (0, 1, 4, 5, 500)] == [False, True, True, False, False]
    assert rate(3, 0) is None and rate(1, 4) == 0.25


def test_wilson_interval() -> None:
    lo, hi = wilson(8, 10)  # type: ignore[misc]
    assert close(lo, 0.4902) and close(hi, 0.9433)
    lo, hi = wilson(0, 10)  # type: ignore[misc]
    assert lo == 0.0 and close(hi, 0.2775)
    assert wilson(0, 0) is None


def test_difference_of_proportions_newcombe_worked_example() -> None:
    d = proportion_diff(56, 70, 48, 80)  # Newcombe 1998, example (a): 0.2000 (0.0524 to 0.3339)
    assert d is not None and close(d.diff, 0.2) and close(d.ci95[0], 0.0524) and close(d.ci95[1], 0.3339)
    z = proportion_diff(30, 100, 20, 100)  # pooled 0.25, z = 1.633
    assert z is not None and z.test == "two-proportion z" and close(z.p_value, 0.1025)
    small = proportion_diff(3, 5, 0, 5)  # an expected count under 5: Fisher, two-sided p = 1/6
    assert small is not None and small.test == "Fisher exact" and close(small.p_value, 1 / 6) and small.small_sample
    assert proportion_diff(1, 0, 1, 2) is None


def test_paired_change_by_hand() -> None:
    # changes 1, 0, 1, 1, 2: mean 1, sd sqrt(0.5), se 0.3162, t(0.975, 4) = 2.7764
    c = paired_change([3, 4, 2, 5, 3], [4, 4, 3, 6, 5])
    assert c is not None and c.n == 5 and c.mean_change == 1.0
    assert close(c.first_mean, 3.4) and close(c.latest_mean, 4.4)
    assert c.ci95 is not None and close(c.ci95[0], 0.1220) and close(c.ci95[1], 1.8780)
    assert c.improved_share == 0.8
    assert c.p_value is not None and close(c.p_value, sps.ttest_rel([4, 4, 3, 6, 5], [3, 4, 2, 5, 3]).pvalue)
    lower_better = paired_change([5, 5], [3, 6], higher_is_better=False)
    assert lower_better is not None and lower_better.improved_share == 0.5
    one = paired_change([2], [4])  # one member: a change, but no interval
    assert one is not None and one.mean_change == 2 and one.ci95 is None and one.p_value is None
    assert paired_change([], []) is None
    with pytest.raises(ValueError):
        paired_change([1, 2], [1])


def test_welch_matches_scipy() -> None:
    a, b = [1.0, 2, 3, 4, 5], [2.0, 4, 6, 8, 10]
    w = welch(a, b)
    assert w is not None and w.diff == -3.0
    assert close(w.p_value, sps.ttest_ind(a, b, equal_var=False).pvalue)
    assert w.ci95[0] < -3 < w.ci95[1] and w.small_sample
    assert welch([1.0], [2.0, 3.0]) is None


MON = date(2026, 3, 2)  # a Monday


def days(*offsets: int) -> list[date]:
    return [MON + timedelta(days=o) for o in offsets]


def test_streaks_forgive_one_missed_day() -> None:
    s = streaks(days(0, 2, 3), today=MON + timedelta(days=4))  # Mon, (Tue missed), Wed, Thu; today Fri
    assert (s.current, s.longest, s.broken_on) == (3, 3, None)
    assert streaks(days(0), today=MON + timedelta(days=2)).current == 1  # Tue forgiven, Wed not over yet
    broken = streaks(days(0), today=MON + timedelta(days=3))  # Tue and Wed missed: broken from Thursday
    assert (broken.current, broken.longest, broken.broken_on) == (0, 1, MON + timedelta(days=3))
    assert broken_on(MON, grace_days=1) == MON + timedelta(days=3)


def test_streak_runs_and_edges() -> None:
    s = streaks(days(0, 1, 2, 5, 6, 6, 30), today=MON + timedelta(days=31))  # duplicates count once
    assert (s.current, s.longest, s.last_day) == (1, 3, MON + timedelta(days=30))
    strict = streaks(days(0, 2), today=MON + timedelta(days=2), grace_days=0)
    assert (strict.current, strict.longest) == (1, 1)
    assert streaks(days(5), today=MON).longest == 0  # a day after today is ignored
    assert streaks([], today=MON).current == 0
    with pytest.raises(ValueError):
        streaks(days(0), today=MON, grace_days=-1)
