"""The analytics API's answers (msgspec, kw_only). Rates are numbers 0..1; a cell describing 1-4 members is
`null` and named in `suppressed` (see backend/analytics/definitions.py)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated

import msgspec

from common.enums import ExperimentOutcome, ExperimentStatus


class Bucket(msgspec.Struct, kw_only=True):
    bucket: str  # "0-10%", "2-3 days"...
    members: int | None


class FunnelStep(msgspec.Struct, kw_only=True):
    node_id: str
    title: str
    type: str
    reached: int | None
    dropped: int | None
    median_time_to_next: float | None = None  # seconds


class MetricChange(msgspec.Struct, kw_only=True):
    node_id: str
    title: str
    n: int | None
    first_mean: float | None
    latest_mean: float | None
    mean_change: float | None
    ci95: list[float] | None
    improved_share: float | None
    p_value: float | None = None


class AdherenceDetail(msgspec.Struct, kw_only=True):
    sent: int | None
    answered: int | None
    members: int | None  # members with at least one check-in sent
    distribution: list[Bucket]  # members by their own adherence, in tenths
    streak_current: list[Bucket]
    streak_longest: list[Bucket]


class GoalStat(msgspec.Struct, kw_only=True):
    node_id: str
    title: str
    reached: int | None
    rate: float | None
    median_time: float | None  # seconds from enrollment


class ProgramAnalytics(msgspec.Struct, kw_only=True):
    program_id: uuid.UUID
    name: str
    version: int | None  # None: every version pooled
    versions: list[int]  # the published versions
    enrolled: int | None
    completed: int | None
    completion_rate: float | None
    adherence: float | None
    funnel: list[FunnelStep]
    metrics: list[MetricChange]
    suppressed: list[str]
    adherence_detail: AdherenceDetail
    goals: list[GoalStat]


class Cohort(msgspec.Struct, kw_only=True):
    week: date  # the Monday of the enrollment week (UTC)
    members: int | None
    active: list[float | None]  # share active in week 0, 1, ... after


class Retention(msgspec.Struct, kw_only=True):
    program_id: uuid.UUID
    cohorts: list[Cohort]
    suppressed: list[str]


class ModeStats(msgspec.Struct, kw_only=True):
    replies: int | None
    grounded_rate: float | None
    refused_rate: float | None


class Feedback(msgspec.Struct, kw_only=True):
    up: int | None
    down: int | None


class DayConsistency(msgspec.Struct, kw_only=True):
    day: date
    mean: float


class TwinQuality(msgspec.Struct, kw_only=True):
    replies: int
    grounded_rate: float | None
    refused_rate: float | None
    by_mode: dict[str, ModeStats]
    feedback: Feedback
    handoffs: int | None
    flagged: int | None
    consistency: list[DayConsistency]  # the mean persona consistency by day (its trend)
    suppressed: list[str]


class Uplift(msgspec.Struct, kw_only=True):
    trigger_id: uuid.UUID
    contacted: int | None  # decisions sent, judged (48 h over)
    holdout: int | None  # decisions held out, judged
    reactivated_rate: float | None
    holdout_reactivated_rate: float | None
    uplift: float | None  # reactivated_rate - holdout_reactivated_rate
    ci95: list[float] | None
    p_value: float | None
    test: str | None
    small_sample: bool
    suppressed: list[str]


class ProgramOverview(msgspec.Struct, kw_only=True):
    program_id: uuid.UUID
    name: str
    enrolled: int | None
    completion_rate: float | None
    adherence: float | None
    experiment: bool  # an experiment is running


class Overview(msgspec.Struct, kw_only=True):
    programs: list[ProgramOverview]
    suppressed: list[str]


class ExperimentIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    version_a: Annotated[int, msgspec.Meta(ge=1, le=2_147_483_647)]
    version_b: Annotated[int, msgspec.Meta(ge=1, le=2_147_483_647)]
    outcome: ExperimentOutcome
    metric_node: Annotated[str, msgspec.Meta(min_length=1, max_length=100)] | None = None


class Arm(msgspec.Struct, kw_only=True):
    version: int
    members: int | None
    value: float | None  # completion share, mean adherence, or mean change of the metric


class ExperimentResult(msgspec.Struct, kw_only=True):
    difference: float | None  # B - A
    ci95: list[float] | None
    p_value: float | None
    test: str | None
    warning: str | None  # too few members, or a suppressed arm


class ExperimentOut(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    program_id: uuid.UUID
    version_a: int
    version_b: int
    outcome: ExperimentOutcome
    metric_node: str | None
    status: ExperimentStatus
    started_at: datetime
    stopped_at: datetime | None
    arms: list[Arm]
    result: ExperimentResult
    suppressed: list[str]


class ExperimentList(msgspec.Struct, kw_only=True):
    experiments: list[ExperimentOut]


class RefreshOut(msgspec.Struct, kw_only=True):
    marks: int
    enrollments: int
    days: int
    twin_days: int
    contacts: int
