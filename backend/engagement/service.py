"""Engagement: behaviour events (append-only, idempotent by the client's id), custom event types with a JSON
schema, triggers (checked per kind), members' reminder preferences and the decision log. The scheduler that
acts on triggers is `scheduler.py`; the pure rules it applies are `rules.py`."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec
from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError
from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from backend.engagement.schemas import (
    BehaviourEventIn,
    EventTypeIn,
    PreferencesIn,
    PreferencesOut,
    QuietHours,
    TriggerIn,
)
from backend.lib.errors import Forbidden, InvalidInput, NotFound
from backend.lib.principal import Principal
from common.enums import ActionType, Channel, EventSource, PrincipalKind, TriggerKind
from common.models import Decision, EventType, Member, MemberEngagement, MemberEvent, Program, Trigger

BACKFILL_DAYS = 30  # how far in the past an event's `at` may be
FUTURE_SKEW = timedelta(minutes=5)  # clocks disagree a little; the future beyond this is refused


def utcnow() -> datetime:
    return datetime.now(UTC)


# ---- events --------------------------------------------------------------------------------------------------


async def _validate_properties(db: AsyncSession, name: str, properties: dict[str, Any]) -> None:
    declared = (
        await db.execute(select(col(EventType.schema_)).where(col(EventType.name) == name))
    ).scalar_one_or_none()
    if declared is None:
        return
    try:
        problems = sorted(Draft202012Validator(declared).iter_errors(properties), key=lambda e: str(list(e.path)))
    except Exception as exc:  # a schema that cannot be applied (an unresolvable $ref, a broken pattern)
        raise InvalidInput(f"the schema of event {name!r} cannot be applied: {type(exc).__name__}") from exc
    if problems:
        first = problems[0]
        where = "/".join(str(p) for p in first.path) or "(properties)"
        raise InvalidInput(f"properties do not match the schema of event {name!r}: {where}: {first.message}"[:400])


async def record_event(
    db: AsyncSession, principal: Principal, data: BehaviourEventIn, now: datetime | None = None
) -> tuple[str, bool]:
    """Store one event (once per client id) and count it as the member's activity: (client id, newly stored)."""
    now = now or utcnow()
    if principal.kind is PrincipalKind.member:
        if data.member_id is not None and data.member_id != principal.subject_id:
            raise Forbidden("A member reports their own events only")
        member_id, source = principal.subject_id, EventSource.member
    else:
        if data.member_id is None:
            raise InvalidInput("member_id: required with a staff token")
        member_id, source = data.member_id, EventSource.staff
    if (await db.get(Member, member_id)) is None:
        raise NotFound("No such member")
    at = (data.at if data.at.tzinfo else data.at.replace(tzinfo=UTC)) if data.at else now
    if at < now - timedelta(days=BACKFILL_DAYS):
        raise InvalidInput(f"at: events may be backfilled up to {BACKFILL_DAYS} days, not further")
    if at > now + FUTURE_SKEW:
        raise InvalidInput("at: an event cannot happen in the future")
    await _validate_properties(db, data.name, data.properties)
    client_id = data.id or uuid.uuid4().hex
    stored = (
        await db.execute(
            insert(MemberEvent)
            .values(
                id=uuid.uuid4(),
                creator_id=principal.creator_id,
                member_id=member_id,
                client_id=client_id,
                name=data.name,
                at=at,
                properties=data.properties,
                source=source.value,
                received_at=now,
            )
            .on_conflict_do_nothing(index_elements=["creator_id", "client_id"])
            .returning(col(MemberEvent.id))
        )
    ).scalar_one_or_none()
    if stored is not None:
        await touch(db, principal.creator_id, member_id, at)
    return client_id, stored is not None


async def touch(db: AsyncSession, creator_id: uuid.UUID, member_id: uuid.UUID, at: datetime) -> None:
    """The member was active at `at` (never moves their last activity back)."""
    stmt = insert(MemberEngagement).values(
        id=uuid.uuid4(), creator_id=creator_id, member_id=member_id, last_active_at=at, updated_at=utcnow()
    )
    current = col(MemberEngagement.last_active_at)
    await db.execute(
        stmt.on_conflict_do_update(
            index_elements=["member_id"],
            set_={"last_active_at": func.greatest(current, stmt.excluded.last_active_at), "updated_at": utcnow()},
        )
    )


async def declare_event_type(db: AsyncSession, creator_id: uuid.UUID, data: EventTypeIn) -> EventType:
    """Declare (or replace the schema of) a custom event name."""
    try:
        Draft202012Validator.check_schema(data.schema)
        list(Draft202012Validator(data.schema).iter_errors({}))  # it can be applied (no remote $ref)
    except SchemaError as exc:
        raise InvalidInput(f"schema: not a valid JSON Schema: {exc.message}"[:400]) from exc
    except Exception as exc:
        raise InvalidInput(f"schema: cannot be applied ({type(exc).__name__})") from exc
    row = (await db.execute(select(EventType).where(col(EventType.name) == data.name))).scalar_one_or_none()
    if row is None:
        row = EventType(creator_id=creator_id, name=data.name, schema_=data.schema)
        db.add(row)
    else:
        row.schema_ = data.schema
    await db.flush()
    return row


async def event_types(db: AsyncSession) -> list[EventType]:
    return list((await db.execute(select(EventType).order_by(col(EventType.name)))).scalars())


# ---- triggers ------------------------------------------------------------------------------------------------


def _int(params: dict[str, Any], key: str, low: int, high: int, default: int | None = None) -> int:
    value = params.get(key, default)
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise InvalidInput(f"params.{key}: a whole number from {low} to {high}")
    return value


def _text(obj: dict[str, Any], key: str, where: str, limit: int = 200) -> str:
    value = obj.get(key)
    if not isinstance(value, str) or not value.strip() or len(value) > limit:
        raise InvalidInput(f"{where}.{key}: a non-empty text of at most {limit} characters")
    return value.strip()


def _uuid(obj: dict[str, Any], key: str, where: str) -> str:
    try:
        return str(uuid.UUID(str(obj.get(key))))
    except ValueError as exc:
        raise InvalidInput(f"{where}.{key}: a program id") from exc


def _only(obj: dict[str, Any], allowed: set[str], where: str) -> None:
    extra = sorted(set(obj) - allowed)
    if extra:
        raise InvalidInput(f"{where}: unknown field {extra[0]!r} (allowed: {', '.join(sorted(allowed)) or 'none'})")


def check_params(kind: TriggerKind, params: dict[str, Any]) -> dict[str, Any]:
    """The trigger's parameters, checked for its kind (a clear 422 naming the field otherwise)."""
    if kind is TriggerKind.inactivity:
        _only(params, {"days"}, "params")
        return {"days": _int(params, "days", 1, 365)}
    if kind is TriggerKind.missed_checkin:
        _only(params, {"count", "program_id"}, "params")
        out: dict[str, Any] = {"count": _int(params, "count", 1, 100)}
        if params.get("program_id") is not None:
            out["program_id"] = _uuid(params, "program_id", "params")
        return out
    if kind is TriggerKind.streak_broken:
        _only(params, {"event", "grace_days"}, "params")
        return {"event": _text(params, "event", "params", 100), "grace_days": _int(params, "grace_days", 0, 30, 1)}
    if kind is TriggerKind.milestone:
        _only(params, {"goal", "event", "count"}, "params")
        if params.get("goal") is not None:
            return {"goal": _text(params, "goal", "params")}
        return {"event": _text(params, "event", "params", 100), "count": _int(params, "count", 1, 1_000_000)}
    if kind is TriggerKind.event:
        _only(params, {"name", "where"}, "params")
        where = params.get("where") or {}
        if not isinstance(where, dict) or len(msgspec.json.encode(where)) > 4000:
            raise InvalidInput("params.where: an object of property values the event must have")
        return {"name": _text(params, "name", "params", 100), "where": where}
    _only(params, set(), "params")
    return {}


def check_action(action: dict[str, Any]) -> dict[str, Any]:
    try:
        kind = ActionType(str(action.get("type")))
    except ValueError as exc:
        raise InvalidInput(f"action.type: one of {', '.join(a.value for a in ActionType)}") from exc
    if kind is ActionType.message:
        _only(action, {"type", "text"}, "action")
        return {"type": kind.value, "text": _text(action, "text", "action", 4000)}
    if kind is ActionType.twin_nudge:
        _only(action, {"type", "topic"}, "action")
        return {"type": kind.value, "topic": _text(action, "topic", "action", 300)}
    if kind is ActionType.enroll:
        _only(action, {"type", "program_id"}, "action")
        return {"type": kind.value, "program_id": _uuid(action, "program_id", "action")}
    _only(action, {"type"}, "action")
    return {"type": kind.value}


def check_audience(audience: dict[str, Any]) -> dict[str, Any]:
    _only(audience, {"program_id", "channel"}, "audience")
    out: dict[str, Any] = {}
    if audience.get("program_id") is not None:
        out["program_id"] = _uuid(audience, "program_id", "audience")
    if audience.get("channel") is not None:
        try:
            out["channel"] = Channel(audience["channel"]).value
        except ValueError as exc:
            raise InvalidInput(f"audience.channel: one of {', '.join(c.value for c in Channel)}") from exc
    return out


async def _programs_exist(db: AsyncSession, *values: Any) -> None:
    for value in values:
        if value is not None and (await db.get(Program, uuid.UUID(value))) is None:
            raise InvalidInput("program_id: no such program in this workspace")


async def _apply(db: AsyncSession, row: Trigger, data: TriggerIn) -> Trigger:
    row.name, row.kind = data.name, data.kind.value
    row.params, row.action = check_params(data.kind, data.params), check_action(data.action)
    row.audience = check_audience(data.audience)
    await _programs_exist(
        db, row.params.get("program_id"), row.action.get("program_id"), row.audience.get("program_id")
    )
    row.quiet_hours = {"start": data.quiet_hours.start, "end": data.quiet_hours.end} if data.quiet_hours else None
    row.cooldown_hours, row.max_per_day, row.max_per_week = data.cooldown_hours, data.max_per_day, data.max_per_week
    row.holdout_percent, row.enabled, row.updated_at = data.holdout_percent, data.enabled, utcnow()
    db.add(row)
    await db.flush()
    return row


async def create_trigger(db: AsyncSession, creator_id: uuid.UUID, data: TriggerIn) -> Trigger:
    return await _apply(db, Trigger(creator_id=creator_id, name=data.name, kind=data.kind.value), data)


async def trigger(db: AsyncSession, trigger_id: uuid.UUID) -> Trigger:
    row = await db.get(Trigger, trigger_id)
    if row is None:
        raise NotFound("No such trigger")
    return row


async def update_trigger(db: AsyncSession, trigger_id: uuid.UUID, data: TriggerIn) -> Trigger:
    return await _apply(db, await trigger(db, trigger_id), data)


async def delete_trigger(db: AsyncSession, trigger_id: uuid.UUID) -> None:
    await db.delete(await trigger(db, trigger_id))
    await db.flush()


async def triggers(db: AsyncSession) -> list[Trigger]:
    return list((await db.execute(select(Trigger).order_by(col(Trigger.created_at)))).scalars())


# ---- the log and preferences ---------------------------------------------------------------------------------


async def log(
    db: AsyncSession, trigger_id: uuid.UUID | None, member_id: uuid.UUID | None, outcome: str | None, limit: int
) -> list[Decision]:
    query = select(Decision).order_by(col(Decision.at).desc(), col(Decision.id)).limit(limit)
    if trigger_id is not None:
        query = query.where(col(Decision.trigger_id) == trigger_id)
    if member_id is not None:
        query = query.where(col(Decision.member_id) == member_id)
    if outcome is not None:
        query = query.where(col(Decision.outcome) == outcome)
    return list((await db.execute(query)).scalars())


def preferences_out(row: MemberEngagement | None) -> PreferencesOut:
    if row is None:
        return PreferencesOut(quiet_hours=None, paused_until=None, opt_out_channels=[])
    quiet = QuietHours(start=row.quiet_start, end=row.quiet_end) if row.quiet_start and row.quiet_end else None
    return PreferencesOut(quiet_hours=quiet, paused_until=row.paused_until, opt_out_channels=list(row.opt_out_channels))


async def stored_preferences(db: AsyncSession, member_id: uuid.UUID) -> MemberEngagement | None:
    return (
        await db.execute(select(MemberEngagement).where(col(MemberEngagement.member_id) == member_id))
    ).scalar_one_or_none()


async def engagement_of(db: AsyncSession, creator_id: uuid.UUID, member_id: uuid.UUID) -> MemberEngagement:
    row = await stored_preferences(db, member_id)
    if row is None:
        row = MemberEngagement(creator_id=creator_id, member_id=member_id)
        db.add(row)
    return row


async def set_preferences(db: AsyncSession, principal: Principal, data: PreferencesIn) -> PreferencesOut:
    """A member's own reminder preferences; the fields sent replace the stored ones."""
    if data.opt_out_channels is not None:
        unknown = [c for c in data.opt_out_channels if c not in {*Channel, "all"}]
        if unknown:
            raise InvalidInput(f"opt_out_channels: unknown channel {unknown[0]!r}")
    row = await engagement_of(db, principal.creator_id, principal.subject_id)
    if data.quiet_hours is None:
        row.quiet_start = row.quiet_end = None
    elif data.quiet_hours is not msgspec.UNSET:
        if data.quiet_hours.start == data.quiet_hours.end:
            raise InvalidInput("quiet_hours: start and end are the same time")
        row.quiet_start, row.quiet_end = data.quiet_hours.start, data.quiet_hours.end
    if data.paused_until is not None:
        row.paused_until = data.paused_until if data.paused_until.tzinfo else data.paused_until.replace(tzinfo=UTC)
    if data.opt_out_channels is not None:
        row.opt_out_channels = sorted(set(data.opt_out_channels))
    row.updated_at = utcnow()
    await db.flush()
    return preferences_out(row)
