"""The pure rules: quiet hours in the member's zone (wrapping midnight, across DST), holdout share, caps."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from backend.engagement.rules import Limits, MemberState, decide, in_holdout, quiet_until, zone
from common.enums import ActionType, DecisionOutcome

NY = zone("America/New_York")


def test_quiet_hours_wrap_midnight() -> None:
    tz = zone("Europe/Berlin")  # UTC+1 in winter
    # 23:30 Berlin: quiet until 08:00 the next morning.
    assert quiet_until(datetime(2026, 1, 10, 22, 30, tzinfo=UTC), tz, "21:00", "08:00") == datetime(
        2026, 1, 11, 7, 0, tzinfo=UTC
    )
    # 06:00 Berlin: quiet until 08:00 the same morning.
    assert quiet_until(datetime(2026, 1, 10, 5, 0, tzinfo=UTC), tz, "21:00", "08:00") == datetime(
        2026, 1, 10, 7, 0, tzinfo=UTC
    )
    # 12:00 Berlin: not quiet; a window that does not wrap.
    assert quiet_until(datetime(2026, 1, 10, 11, 0, tzinfo=UTC), tz, "21:00", "08:00") is None
    assert quiet_until(datetime(2026, 1, 10, 11, 0, tzinfo=UTC), tz, "12:00", "13:00") == datetime(
        2026, 1, 10, 12, 0, tzinfo=UTC
    )
    assert quiet_until(datetime(2026, 1, 10, 11, 0, tzinfo=UTC), tz, "09:00", "09:00") is None


def test_quiet_hours_across_dst() -> None:
    # New York springs forward on 8 March 2026 (02:00 EST -> 03:00 EDT): the night is an hour shorter.
    before = datetime(2026, 3, 8, 3, 0, tzinfo=UTC)  # 22:00 EST on the 7th
    assert quiet_until(before, NY, "21:00", "08:00") == datetime(2026, 3, 8, 12, 0, tzinfo=UTC)  # 08:00 EDT
    # Falls back on 1 November 2026: 08:00 EST is 13:00 UTC.
    assert quiet_until(datetime(2026, 11, 1, 3, 0, tzinfo=UTC), NY, "21:00", "08:00") == datetime(
        2026, 11, 1, 13, 0, tzinfo=UTC
    )
    # A quiet end inside the skipped hour (02:30 does not exist on 8 March) resolves after the jump.
    end = quiet_until(datetime(2026, 3, 8, 6, 0, tzinfo=UTC), NY, "01:00", "02:30")
    assert end is not None and end.astimezone(NY).hour == 3


def test_holdout_share_is_stable_and_close_to_the_percent() -> None:
    trigger = uuid.uuid4()
    members = [uuid.uuid4() for _ in range(4000)]
    held = [m for m in members if in_holdout(trigger, m, 20)]
    assert 0.17 < len(held) / len(members) < 0.23
    assert held == [m for m in members if in_holdout(trigger, m, 20)]
    assert not any(in_holdout(trigger, m, 0) for m in members)


def _state(**kw: object) -> MemberState:
    base: dict[str, object] = {
        "member_id": uuid.uuid4(),
        "tz": zone("UTC"),
        "channel": "web",
        "last_active_at": None,
        "quiet": None,
        "paused_until": None,
        "opt_out": frozenset(),
        "sends": [],
        "last_sent": {},
    }
    base.update(kw)
    return MemberState(**base)  # type: ignore[arg-type]


def test_order_of_rules() -> None:
    now = datetime(2026, 1, 10, 12, 0, tzinfo=UTC)
    limits = Limits(uuid.uuid4(), ActionType.message, None, 24, 1, 3, 0)
    assert decide(limits, _state(), now, None).outcome is DecisionOutcome.sent
    assert decide(limits, _state(paused_until=now + timedelta(days=1)), now, None).outcome is DecisionOutcome.opted_out
    assert decide(limits, _state(opt_out=frozenset({"web"})), now, None).outcome is DecisionOutcome.opted_out
    assert decide(limits, _state(sends=[now - timedelta(hours=1)]), now, None).outcome is DecisionOutcome.capped
    week = [now - timedelta(days=d) for d in (1, 2, 3)]
    assert decide(limits, _state(sends=week), now, None).outcome is DecisionOutcome.capped
    recent = {limits.trigger_id: now - timedelta(hours=30)}
    assert (
        decide(
            Limits(limits.trigger_id, ActionType.message, None, 48, 5, 5, 0), _state(last_sent=recent), now, None
        ).outcome
        is DecisionOutcome.cooldown
    )
    queued = now - timedelta(hours=2)
    active = _state(last_active_at=now - timedelta(hours=1))
    assert decide(limits, active, now, queued).outcome is DecisionOutcome.cancelled_member_active
    night = datetime(2026, 1, 10, 23, 0, tzinfo=UTC)
    assert decide(limits, _state(), night, None).outcome is DecisionOutcome.deferred_quiet_hours
    notify = Limits(limits.trigger_id, ActionType.notify_creator, None, 24, 1, 3, 0)
    assert decide(notify, _state(), night, None).outcome is DecisionOutcome.sent  # risk: at once, any hour
