"""The rules a firing passes before a member is contacted, I/O-free: holdout, pause and opt-out, quiet hours
in the member's time zone (wrapping midnight, DST-correct through zoneinfo), cool-down and caps per local
day and per rolling week across all triggers. `decide` returns the first rule that holds the firing back."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from common.enums import ActionType, DecisionOutcome

DEFAULT_QUIET = ("21:00", "08:00")  # when neither the member nor the trigger sets quiet hours
MEMBER_FACING = {ActionType.message, ActionType.twin_nudge}


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def _clock(value: str) -> time:
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))


def _at(day: date, clock: time, tz: ZoneInfo) -> datetime:
    """`clock` on the local `day`, in UTC. A clock time a DST jump skips resolves to the moment after it."""
    return datetime.combine(day, clock, tzinfo=tz).astimezone(UTC)


def quiet_until(now: datetime, tz: ZoneInfo, start: str, end: str) -> datetime | None:
    """The end of the quiet period `now` falls in (UTC), or None when `now` is not quiet. The window is local
    [start, end); start after end wraps midnight (21:00-08:00)."""
    begin, finish = _clock(start), _clock(end)
    if begin == finish:
        return None
    local = now.astimezone(tz)
    t = local.time().replace(tzinfo=None)
    today = local.date()
    if begin < finish:
        return _at(today, finish, tz) if begin <= t < finish else None
    if t >= begin:
        return _at(today + timedelta(days=1), finish, tz)
    if t < finish:
        return _at(today, finish, tz)
    return None


def in_holdout(trigger_id: uuid.UUID, member_id: uuid.UUID, percent: int) -> bool:
    """A stable share of each trigger's audience: the same members stay out for as long as the trigger lives."""
    if percent <= 0:
        return False
    digest = hashlib.sha256(f"{trigger_id}:{member_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % 100 < percent


def local_day_start(now: datetime, tz: ZoneInfo) -> datetime:
    return _at(now.astimezone(tz).date(), time(0, 0), tz)


@dataclass(frozen=True, slots=True)
class Limits:
    """One trigger's settings the rules read."""

    trigger_id: uuid.UUID
    action: ActionType
    quiet: tuple[str, str] | None
    cooldown_hours: int
    max_per_day: int
    max_per_week: int
    holdout_percent: int


@dataclass(slots=True)
class MemberState:
    """What the rules know of one member now (sends counted across all triggers)."""

    member_id: uuid.UUID
    tz: ZoneInfo
    channel: str
    last_active_at: datetime | None
    quiet: tuple[str, str] | None
    paused_until: datetime | None
    opt_out: frozenset[str]
    sends: list[datetime]  # proactive sends in the last 7 days
    last_sent: dict[uuid.UUID, datetime]  # by trigger
    name: str = ""  # what `{{name}}` says


@dataclass(frozen=True, slots=True)
class Verdict:
    outcome: DecisionOutcome
    reason: str
    until: datetime | None = None  # deferred to


def decide(limits: Limits, member: MemberState, now: datetime, firing_created_at: datetime | None) -> Verdict:
    """What happens to one firing now. `firing_created_at`: when it was first found (None: found now)."""
    if (
        firing_created_at is not None
        and member.last_active_at is not None
        and member.last_active_at > firing_created_at
    ):
        return Verdict(DecisionOutcome.cancelled_member_active, "the member was active after it was queued")
    if limits.action not in MEMBER_FACING and limits.action is not ActionType.enroll:
        return Verdict(DecisionOutcome.sent, "the creator is told")
    if in_holdout(limits.trigger_id, member.member_id, limits.holdout_percent):
        return Verdict(DecisionOutcome.holdout, f"in the trigger's {limits.holdout_percent}% holdout: not contacted")
    if limits.action is ActionType.enroll:
        return Verdict(DecisionOutcome.sent, "enrolled")
    if member.paused_until is not None and member.paused_until > now:
        return Verdict(
            DecisionOutcome.opted_out, f"the member paused reminders until {member.paused_until.isoformat()}"
        )
    if "all" in member.opt_out or member.channel in member.opt_out:
        return Verdict(DecisionOutcome.opted_out, f"the member opted out of reminders on {member.channel}")
    quiet = member.quiet or limits.quiet or DEFAULT_QUIET
    until = quiet_until(now, member.tz, *quiet)
    if until is not None:
        local = until.astimezone(member.tz).strftime("%Y-%m-%d %H:%M")
        return Verdict(
            DecisionOutcome.deferred_quiet_hours,
            f"quiet hours {quiet[0]}-{quiet[1]} in {member.tz.key}: deferred to {local} local",
            until,
        )
    last = member.last_sent.get(limits.trigger_id)
    if last is not None and now - last < timedelta(hours=limits.cooldown_hours):
        return Verdict(
            DecisionOutcome.cooldown,
            f"this trigger reached the member {last.isoformat()} (cool-down {limits.cooldown_hours} h)",
        )
    today = sum(1 for s in member.sends if s >= local_day_start(now, member.tz))
    if today >= limits.max_per_day:
        return Verdict(DecisionOutcome.capped, f"{today} proactive message(s) today (cap {limits.max_per_day} a day)")
    week = sum(1 for s in member.sends if s > now - timedelta(days=7))
    if week >= limits.max_per_week:
        return Verdict(
            DecisionOutcome.capped, f"{week} proactive message(s) in 7 days (cap {limits.max_per_week} a week)"
        )
    return Verdict(DecisionOutcome.sent, "sent")
