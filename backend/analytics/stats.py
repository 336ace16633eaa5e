"""The statistics behind the analytics: intervals and tests a creator can trust, with small samples said so.

Every function takes plain counts or values (the rollups' output) and returns plain numbers, so each is checked
against hand-computed figures. Intervals are 95% two-sided. References: Wilson (1927) score interval;
Newcombe (1998) method 10 for a difference of proportions; Student's paired t; Welch's t; Fisher's exact test
where a 2x2 table has an expected count under 5.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

from scipy import stats as sps

Z95 = 1.959963984540054
MIN_CELL = 5  # a cell describing 1-4 members is suppressed everywhere (zero describes nobody)
SMALL_SAMPLE = 30  # per arm: below this a comparison carries a warning


def suppress(n: int) -> bool:
    """True when a figure describes so few members (1-4) that showing it could identify them."""
    return 0 < n < MIN_CELL


def rate(k: int, n: int) -> float | None:
    return k / n if n else None


def wilson(k: int, n: int, z: float = Z95) -> tuple[float, float] | None:
    """Score interval of a proportion k/n (well-behaved at 0, 1 and small n, unlike k/n ± z·se)."""
    if n <= 0:
        return None
    p = k / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


@dataclass(frozen=True)
class ProportionDiff:
    p1: float
    p2: float
    diff: float  # p1 - p2
    ci95: tuple[float, float]
    p_value: float
    test: str  # "two-proportion z" or "Fisher exact"
    small_sample: bool


def proportion_diff(k1: int, n1: int, k2: int, n2: int) -> ProportionDiff | None:
    """p1 - p2 with Newcombe's hybrid score interval, and a test of p1 = p2 (Fisher when counts are small)."""
    w1, w2 = wilson(k1, n1), wilson(k2, n2)
    if w1 is None or w2 is None:
        return None
    p1, p2 = k1 / n1, k2 / n2
    (l1, u1), (l2, u2) = w1, w2
    d = p1 - p2
    lo = d - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)
    hi = d + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
    pooled = (k1 + k2) / (n1 + n2)
    expected = min(n * q for n in (n1, n2) for q in (pooled, 1 - pooled))
    if expected < 5:
        table = [[k1, n1 - k1], [k2, n2 - k2]]
        p_value, test = float(sps.fisher_exact(table).pvalue), "Fisher exact"
    else:
        se = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
        p_value = 1.0 if se == 0 else float(2 * sps.norm.sf(abs(d) / se))
        test = "two-proportion z"
    return ProportionDiff(p1, p2, d, (max(-1.0, lo), min(1.0, hi)), p_value, test, min(n1, n2) < SMALL_SAMPLE)


@dataclass(frozen=True)
class PairedChange:
    n: int
    first_mean: float
    latest_mean: float
    mean_change: float  # latest - first
    ci95: tuple[float, float] | None  # None below two pairs
    improved_share: float  # share of members whose latest is better than their first
    p_value: float | None


def paired_change(
    first: Sequence[float], latest: Sequence[float], higher_is_better: bool = True
) -> PairedChange | None:
    """Each member's first vs latest value of a self-reported metric: mean change with Student's paired t."""
    if len(first) != len(latest):
        raise ValueError("first and latest must pair up member by member")
    n = len(first)
    if n == 0:
        return None
    changes = [b - a for a, b in zip(first, latest, strict=True)]
    mean = statistics.fmean(changes)
    improved = sum((c > 0) if higher_is_better else (c < 0) for c in changes) / n
    ci: tuple[float, float] | None = None
    p_value: float | None = None
    if n >= 2:
        sd = statistics.stdev(changes)
        if sd == 0:
            ci, p_value = (mean, mean), (1.0 if mean == 0 else 0.0)
        else:
            se = sd / math.sqrt(n)
            t = float(sps.t.ppf(0.975, n - 1))
            ci = (mean - t * se, mean + t * se)
            p_value = float(2 * sps.t.sf(abs(mean / se), n - 1))
    return PairedChange(n, statistics.fmean(first), statistics.fmean(latest), mean, ci, improved, p_value)


@dataclass(frozen=True)
class MeanDiff:
    mean1: float
    mean2: float
    diff: float  # mean1 - mean2
    ci95: tuple[float, float]
    p_value: float
    small_sample: bool


def welch(a: Sequence[float], b: Sequence[float]) -> MeanDiff | None:
    """Difference of two independent means (Welch's t, unequal variances): an A/B on a metric's change."""
    if len(a) < 2 or len(b) < 2:
        return None
    return welch_moments(
        len(a), statistics.fmean(a), statistics.variance(a), len(b), statistics.fmean(b), statistics.variance(b)
    )


def welch_moments(n1: int, m1: float, var1: float, n2: int, m2: float, var2: float) -> MeanDiff | None:
    """Welch's t from each group's size, mean and sample variance (what a rollup's SUMs give)."""
    if n1 < 2 or n2 < 2:
        return None
    v1, v2 = max(0.0, var1) / n1, max(0.0, var2) / n2
    se = math.sqrt(v1 + v2)
    d = m1 - m2
    small = min(n1, n2) < SMALL_SAMPLE
    if se == 0:
        return MeanDiff(m1, m2, d, (d, d), 1.0 if d == 0 else 0.0, small)
    df = (v1 + v2) ** 2 / (v1 * v1 / (n1 - 1) + v2 * v2 / (n2 - 1))
    t = float(sps.t.ppf(0.975, df))
    p_value = float(2 * sps.t.sf(abs(d / se), df))
    return MeanDiff(m1, m2, d, (d - t * se, d + t * se), p_value, small)


def paired_sums(
    n: int, sum_first: float, sum_latest: float, sum_change: float, sum_change_sq: float, improved: int
) -> PairedChange | None:
    """`paired_change` from the sums a rollup keeps (n, sums of first, latest, change and change squared)."""
    if n <= 0:
        return None
    mean = sum_change / n
    ci: tuple[float, float] | None = None
    p_value: float | None = None
    if n >= 2:
        var = max(0.0, (sum_change_sq - sum_change * sum_change / n) / (n - 1))
        sd = math.sqrt(var)
        if sd < 1e-12:
            ci, p_value = (mean, mean), (1.0 if abs(mean) < 1e-12 else 0.0)
        else:
            se = sd / math.sqrt(n)
            t = float(sps.t.ppf(0.975, n - 1))
            ci = (mean - t * se, mean + t * se)
            p_value = float(2 * sps.t.sf(abs(mean / se), n - 1))
    return PairedChange(n, sum_first / n, sum_latest / n, mean, ci, improved / n, p_value)


def median(values: Sequence[float]) -> float | None:
    return float(statistics.median(values)) if values else None
