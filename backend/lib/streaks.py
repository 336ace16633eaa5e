"""Habit streaks with a grace rule, by the member's local calendar days: written once, for engagement and analytics.

A streak is a run of days on which the member did the daily thing, where up to `grace_days` missed days in a row
are forgiven (one missed day does not undo habit formation: Lally et al. 2010, so the default forgives one).
Forgiven days keep the run alive but do not count towards its length. Today is never a missed day: it is not over.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import pairwise

DEFAULT_GRACE_DAYS = 1


@dataclass(frozen=True)
class Streaks:
    current: int  # days done in the run still alive today (0 when broken or never started)
    longest: int  # days done in the longest run ever
    last_day: date | None  # the last day the thing was done
    broken_on: date | None  # the first day the latest run counts as broken (None while it is alive)


def broken_on(last_day: date, grace_days: int = DEFAULT_GRACE_DAYS) -> date:
    """The first local day on which a run whose last done day is `last_day` counts as broken.

    With one grace day, done on Monday: Tuesday is forgiven, Wednesday is missed too, so the run is broken
    from Thursday on (Wednesday is only over when Thursday starts).
    """
    return last_day + timedelta(days=grace_days + 2)


def streaks(days: Iterable[date], today: date, grace_days: int = DEFAULT_GRACE_DAYS) -> Streaks:
    """Current and longest streak from the local dates the thing was done (duplicates and order do not matter).

    Days after `today` (clock skew, a backfill with a wrong zone) are ignored.
    """
    if grace_days < 0:
        raise ValueError("grace_days cannot be negative")
    done = sorted({d for d in days if d <= today})
    if not done:
        return Streaks(0, 0, None, None)
    longest = run = 1
    for previous, day in pairwise(done):
        missed = (day - previous).days - 1
        run = run + 1 if missed <= grace_days else 1
        longest = max(longest, run)
    last = done[-1]
    broken = broken_on(last, grace_days)
    alive = today < broken
    return Streaks(current=run if alive else 0, longest=longest, last_day=last, broken_on=None if alive else broken)
