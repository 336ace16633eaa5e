"""One outbox for everything the platform says first (program steps, a creator's takeover replies, and the
proactive nudges of a later issue).

Producing: in the producer's own transaction, the message goes into the conversation and ONE outbox row
goes here (`stage`), with an idempotency key unique per workspace (a retried step inserts nothing) and the
channel it should reach the member on (`channel_for`). The staged ids ride on the session; after its
commit (whoever commits: a request, the timer worker) `Delivery.on_commit` queues a `deliver_outbox` job
for them, on the delivery queue of its own (a long ingestion never holds a message back).

Delivering (`deliver`, the job): the rows still `queued` are claimed (SKIP LOCKED and a lease: two workers
never send the same row), every open socket of the member gets the frame through Redis pub/sub (whatever
the channel: the widget mirrors the whole conversation), and the row's channel sends it (`senders.py`):
for `web` that publish IS the delivery (`delivered` when a socket of the member was open, `sent` when the
member will fetch it on their
next visit). A channel that cannot send now says when to retry (`next_attempt_at`, attempts counted, the
error kept); past MAX_ATTEMPTS the row is `failed`. Rows a dead process left queued are found across
tenants by the sweeper (the `due_outbox` function, as program timers are) and delivered again: a frame may
then reach a socket twice, and the chat shows a message id once. Providers' later reports (delivered,
read, failed) move a row forward only (`record_status`).
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import structlog
from sqlalchemy import Uuid, any_, bindparam, select, text
from sqlalchemy.dialects.postgresql import ARRAY, insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from backend.delivery.frames import member_message, message_frame
from backend.delivery.live import publish
from backend.delivery.senders import SENDERS, SendResult
from backend.lib.platform import Platform
from backend.lib.tenancy import TenantContext
from common.enums import Channel, DeliveryStatus
from common.models import Member, Message, OutboxMessage

log = structlog.get_logger()
STAGED = "outbox_staged"
MAX_ATTEMPTS = 8
LEASE_SECONDS = 60  # a claimed row another worker may retake after this (its sender died)
SEND_CONCURRENCY = 32  # members served at once by one delivery job
SWEEP_GRACE_SECONDS = 5  # a row younger than this is still on its way through its own job


def utcnow() -> datetime:
    return datetime.now(UTC)


def _ids(values: Sequence[uuid.UUID]) -> Any:
    return any_(bindparam(None, list(values), type_=ARRAY(Uuid())))


@dataclass(frozen=True, slots=True)
class Outgoing:
    """A message to hand to the outbox: which member, which message, its idempotency key and channel."""

    member_id: uuid.UUID
    message_id: uuid.UUID
    key: str
    channel: Channel


def channel_for(last_channel: str | None) -> Channel:
    """The channel a member is reached on: where they last wrote from (the widget until then)."""
    try:
        return Channel(last_channel) if last_channel else Channel.web
    except ValueError:
        return Channel.web


async def channels_of(db: AsyncSession, member_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, Channel]:
    """The channel each member is reached on now (`channel_for` their last one)."""
    rows = await db.execute(
        select(col(Member.id), col(Member.last_channel)).where(col(Member.id) == _ids(list(set(member_ids))))
    )
    return {member_id: channel_for(last) for member_id, last in rows.all()}


async def stage(db: AsyncSession, creator_id: uuid.UUID, outgoing: Sequence[Outgoing]) -> list[uuid.UUID]:
    """Write one outbox row per message in the caller's transaction; delivery follows its commit.

    A key already in the outbox inserts nothing (the step that produced it ran before)."""
    if not outgoing:
        return []
    rows = [
        {
            "id": uuid.uuid4(),
            "creator_id": creator_id,
            "member_id": o.member_id,
            "message_id": o.message_id,
            "channel": o.channel.value,
            "idempotency_key": o.key[:200],
            "status": DeliveryStatus.queued.value,
        }
        for o in outgoing
    ]
    staged = list(
        (
            await db.execute(
                insert(OutboxMessage)
                .on_conflict_do_nothing(index_elements=["creator_id", "idempotency_key"])
                .returning(col(OutboxMessage.id)),
                rows,
            )
        ).scalars()
    )
    if staged:
        db.info.setdefault(STAGED, []).extend((creator_id, i) for i in staged)
    return staged


def take_staged(db: AsyncSession) -> list[tuple[uuid.UUID, uuid.UUID]]:
    """The (tenant, outbox id) pairs this session staged since its last commit."""
    staged: list[tuple[uuid.UUID, uuid.UUID]] = db.info.pop(STAGED, [])
    return staged


def _backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(2**attempts, 600))


# Forward-only: a status report never moves a row back (WhatsApp's webhooks arrive out of order).
_RANK = {
    DeliveryStatus.queued: 0,
    DeliveryStatus.sent: 1,
    DeliveryStatus.delivered: 2,
    DeliveryStatus.read: 3,
    DeliveryStatus.failed: 4,
}


def _finish(row: OutboxMessage, result: SendResult, now: datetime) -> None:
    row.updated_at, row.claimed_at = now, None
    row.error = result.error
    if result.provider_message_id:
        row.provider_message_id = result.provider_message_id
    if not result.attempt:
        row.attempts -= 1
    if result.status is DeliveryStatus.queued:
        if row.attempts >= MAX_ATTEMPTS:
            row.status = DeliveryStatus.failed.value
        else:
            wait = timedelta(seconds=result.retry_after) if result.retry_after else _backoff(row.attempts)
            row.next_attempt_at = now + wait
        return
    row.status = result.status.value
    if result.status in (DeliveryStatus.sent, DeliveryStatus.delivered):
        row.sent_at = now
    if result.status is DeliveryStatus.delivered:
        row.delivered_at = now


async def _claim(
    platform: Platform, creator_id: uuid.UUID, ids: Sequence[uuid.UUID]
) -> list[tuple[OutboxMessage, Message]]:
    """Take the rows still queued and due, and not being sent by another worker (lease): their try starts."""
    async with platform.db.session(TenantContext(creator_id)) as db:
        now = utcnow()
        claimed = col(OutboxMessage.claimed_at)
        rows = (
            await db.execute(
                select(OutboxMessage, Message)
                .join(Message, col(Message.id) == col(OutboxMessage.message_id))
                .where(
                    col(OutboxMessage.id) == _ids(ids),
                    col(OutboxMessage.status) == DeliveryStatus.queued.value,
                    col(OutboxMessage.next_attempt_at) <= now,
                    claimed.is_(None) | (claimed < now - timedelta(seconds=LEASE_SECONDS)),
                )
                .order_by(col(Message.created_at))
                .with_for_update(of=OutboxMessage, skip_locked=True)
            )
        ).all()
        for row, _ in rows:
            row.claimed_at, row.attempts = now, row.attempts + 1
        await db.commit()
    return [(row, message) for row, message in rows]


async def deliver(
    platform: Platform, creator_id: uuid.UUID, ids: Sequence[uuid.UUID]
) -> tuple[dict[str, int], datetime | None]:
    """Deliver these outbox rows of one workspace: counts by outcome, and when to try again the rows a
    channel could not take now.

    Three steps, so no database connection or row lock is held while a channel's API answers: claim the
    rows (committed: a lease of LEASE_SECONDS, the try counted), send each (outside any transaction),
    record each result (forward only)."""
    taken = await _claim(platform, creator_id, ids)
    if not taken:
        return {}, None
    # Members are served side by side (a batch of a program step's messages is one per member: sent one
    # after another, each waited for its Redis round trip); one member's messages stay in their order.
    by_member: dict[uuid.UUID, list[tuple[OutboxMessage, Message]]] = {}
    for row, message in taken:
        by_member.setdefault(row.member_id, []).append((row, message))
    gate = asyncio.Semaphore(SEND_CONCURRENCY)

    async def one_member(pairs: list[tuple[OutboxMessage, Message]]) -> list[tuple[OutboxMessage, SendResult]]:
        async with gate:
            return await _send_in_order(platform, creator_id, pairs)

    results = [r for done in await asyncio.gather(*map(one_member, by_member.values())) for r in done]
    counts: dict[str, int] = {}
    retry_at: datetime | None = None
    async with platform.db.session(TenantContext(creator_id)) as db:
        now = utcnow()
        current_rows = {
            r.id: r
            for r in (
                await db.execute(
                    select(OutboxMessage)
                    .where(col(OutboxMessage.id) == _ids([row.id for row, _ in results]))
                    .order_by(col(OutboxMessage.id))
                    .with_for_update()
                )
            ).scalars()
        }
        for row, result in results:
            current = current_rows.get(row.id)
            if current is None or current.status != DeliveryStatus.queued.value:
                continue  # a status report got there first
            current.attempts = row.attempts
            _finish(current, result, now)
            counts[current.status] = counts.get(current.status, 0) + 1
            if current.status == DeliveryStatus.queued.value:
                retry_at = min(retry_at or current.next_attempt_at, current.next_attempt_at)
        await db.commit()
    return counts, retry_at


async def _send_in_order(
    platform: Platform, creator_id: uuid.UUID, pairs: list[tuple[OutboxMessage, Message]]
) -> list[tuple[OutboxMessage, SendResult]]:
    """One member's rows, oldest first: once one must wait, the later ones wait after it (kept in order)."""
    results: list[tuple[OutboxMessage, SendResult]] = []
    after: float | None = None
    for row, message in pairs:
        if after is not None:
            held = SendResult(DeliveryStatus.queued, error="after an earlier message", retry_after=after, attempt=False)
            results.append((row, held))
            continue
        live = await publish(platform.redis, creator_id, row.member_id, message_frame(member_message(message)))
        sender = SENDERS.get(Channel(row.channel))
        try:
            if sender is None:
                result = SendResult(DeliveryStatus.failed, error=f"no sender for channel {row.channel!r}")
            else:
                result = await sender.send(platform, row, message, live)
        except Exception as exc:  # a channel's failure is the row's, never the batch's
            log.exception("outbox_send_failed", outbox_id=str(row.id), channel=row.channel)
            result = SendResult(DeliveryStatus.queued, error=f"{type(exc).__name__}: {exc}"[:500])
        if result.status is DeliveryStatus.queued:
            after = result.retry_after or _backoff(row.attempts).total_seconds()
        results.append((row, result))
    return results


async def _by_provider_id(db: AsyncSession, channel: Channel, provider_message_id: str) -> OutboxMessage | None:
    found: OutboxMessage | None = (
        await db.execute(
            select(OutboxMessage)
            .where(
                col(OutboxMessage.channel) == channel.value,
                col(OutboxMessage.provider_message_id) == provider_message_id,
            )
            .with_for_update()
        )
    ).scalar_one_or_none()
    return found


async def record_status(
    db: AsyncSession, channel: Channel, provider_message_id: str, status: DeliveryStatus, error: str | None = None
) -> bool:
    """A provider's report on a message it took (a status webhook): move the row forward, never back.
    False when no row of this tenant has that provider id, or the report is older than what is known."""
    row = await _by_provider_id(db, channel, provider_message_id)
    if row is None or _RANK[status] <= _RANK[DeliveryStatus(row.status)]:
        return False
    now = utcnow()
    row.status, row.updated_at = status.value, now
    if status is DeliveryStatus.delivered:
        row.delivered_at = row.delivered_at or now
    elif status is DeliveryStatus.read:
        row.read_at = now
        row.delivered_at = row.delivered_at or now
    elif status is DeliveryStatus.failed:
        row.error = error
    await db.flush()
    return True


async def stale(platform: Platform, limit: int = 500) -> list[tuple[uuid.UUID, uuid.UUID]]:
    """Rows still queued SWEEP_GRACE_SECONDS past their due time (their job was lost), across tenants:
    (tenant, id). Only ids leave the narrow function; `deliver` claims each under its tenant."""
    async with platform.db.session(None) as db:
        found = (
            await db.execute(
                text("SELECT outbox_id, creator_id FROM due_outbox(:n, :grace, :lease)"),
                {"n": limit, "grace": SWEEP_GRACE_SECONDS, "lease": LEASE_SECONDS},
            )
        ).all()
        await db.commit()
    return [(c, o) for o, c in found]


async def retry_as_template(db: AsyncSession, channel: Channel, provider_message_id: str, error: str) -> bool:
    """The provider refused free text after taking it (WhatsApp's 131047 in a later status: the 24-hour window
    had closed): the row goes back to `queued`, to be sent as the creator's template, at once (after the
    commit). False when no row of this tenant has that provider id, or it was already re-sent."""
    row = await _by_provider_id(db, channel, provider_message_id)
    if row is None or row.template_only or row.status == DeliveryStatus.queued.value:
        return False
    now = utcnow()
    row.status, row.template_only, row.error = DeliveryStatus.queued.value, True, error[:500]
    row.provider_message_id, row.next_attempt_at, row.claimed_at, row.updated_at = None, now, None, now
    await db.flush()
    db.info.setdefault(STAGED, []).append((row.creator_id, row.id))
    return True
