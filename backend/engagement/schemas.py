"""Request and response bodies of the engagement endpoints (events, triggers, log, preferences)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

import msgspec

from backend.lib.bounds import Moment, check_moment
from common.enums import DecisionOutcome, TriggerKind
from common.models import Decision, EventType, Trigger

Name = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
EventName = Annotated[str, msgspec.Meta(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_.:-]+$")]
ClockTime = Annotated[str, msgspec.Meta(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$", description="HH:MM")]
Hours = Annotated[int, msgspec.Meta(ge=0, le=168, description="at most a week")]
Cap = Annotated[int, msgspec.Meta(ge=0, le=1000)]
Percent = Annotated[int, msgspec.Meta(ge=0, le=100)]


class BehaviourEventIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    id: Annotated[str, msgspec.Meta(min_length=1, max_length=200)] | None = None  # the client's idempotency id
    member_id: uuid.UUID | None = None  # staff only; a member token reports for itself
    name: EventName
    at: Moment | None = None
    properties: dict[str, Any] = msgspec.field(default_factory=dict)

    def __post_init__(self) -> None:
        check_moment(self.at, "at")


class EventAccepted(msgspec.Struct, kw_only=True):
    id: str  # the client id the event is stored under
    stored: bool  # False: this id was already stored (nothing changed)


class EventTypeIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    name: EventName
    schema: dict[str, Any] = msgspec.field(default_factory=dict)  # a JSON Schema for the properties


class EventTypeOut(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    name: str
    schema: dict[str, Any]
    created_at: datetime


def event_type_out(t: EventType) -> EventTypeOut:
    return EventTypeOut(id=t.id, name=t.name, schema=t.schema_, created_at=t.created_at)


class QuietHours(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    start: ClockTime
    end: ClockTime


class TriggerIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """`params` by kind: inactivity {days}, missed_checkin {count, program_id?}, streak_broken {event,
    grace_days}, milestone {goal} or {event, count}, event {name, where?}, risk {}. `action`: {type: message,
    text} | {type: twin_nudge, topic} | {type: enroll, program_id} | {type: notify_creator}. `audience`:
    {program_id?, channel?}."""

    name: Name
    kind: TriggerKind
    params: dict[str, Any] = msgspec.field(default_factory=dict)
    action: dict[str, Any]
    audience: dict[str, Any] = msgspec.field(default_factory=dict)
    quiet_hours: QuietHours | None = None
    cooldown_hours: Hours = 24
    max_per_day: Cap = 1
    max_per_week: Cap = 3
    holdout_percent: Percent = 0
    enabled: bool = False


class TriggerOut(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    name: str
    kind: TriggerKind
    params: dict[str, Any]
    action: dict[str, Any]
    audience: dict[str, Any]
    quiet_hours: QuietHours | None
    cooldown_hours: int
    max_per_day: int
    max_per_week: int
    holdout_percent: int
    enabled: bool
    created_at: datetime
    updated_at: datetime


def trigger_out(t: Trigger) -> TriggerOut:
    quiet = QuietHours(start=t.quiet_hours["start"], end=t.quiet_hours["end"]) if t.quiet_hours else None
    return TriggerOut(
        id=t.id,
        name=t.name,
        kind=TriggerKind(t.kind),
        params=t.params,
        action=t.action,
        audience=t.audience,
        quiet_hours=quiet,
        cooldown_hours=t.cooldown_hours,
        max_per_day=t.max_per_day,
        max_per_week=t.max_per_week,
        holdout_percent=t.holdout_percent,
        enabled=t.enabled,
        created_at=t.created_at,
        updated_at=t.updated_at,
    )


class TriggerList(msgspec.Struct, kw_only=True):
    triggers: list[TriggerOut]


class PreviewOut(msgspec.Struct, kw_only=True):
    would_send: list[uuid.UUID]
    suppressed: dict[str, list[uuid.UUID]]  # a DecisionOutcome -> the members it keeps from this trigger now


class PassOut(msgspec.Struct, kw_only=True):
    found: int  # new firings
    decided: dict[str, int]  # decisions by outcome


class DecisionOut(msgspec.Struct, kw_only=True):
    trigger_id: uuid.UUID
    member_id: uuid.UUID
    outcome: DecisionOutcome
    reason: str
    at: datetime
    message_id: uuid.UUID | None = None
    channel: str | None = None


def decision_out(d: Decision) -> DecisionOut:
    return DecisionOut(
        trigger_id=d.trigger_id,
        member_id=d.member_id,
        outcome=DecisionOutcome(d.outcome),
        reason=d.reason,
        at=d.at,
        message_id=d.message_id,
        channel=d.channel,
    )


class DecisionLog(msgspec.Struct, kw_only=True):
    decisions: list[DecisionOut]


class PreferencesIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    # Left out: kept as stored; null: cleared (no quiet hours).
    quiet_hours: QuietHours | msgspec.UnsetType | None = msgspec.UNSET
    paused_until: Moment | None = None
    opt_out_channels: (
        Annotated[list[Annotated[str, msgspec.Meta(max_length=16)]], msgspec.Meta(max_length=8)] | None
    ) = None

    def __post_init__(self) -> None:
        check_moment(self.paused_until, "paused_until")


class PreferencesOut(msgspec.Struct, kw_only=True):
    quiet_hours: QuietHours | None
    paused_until: datetime | None
    opt_out_channels: list[str]
