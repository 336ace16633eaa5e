"""What Telegram and WhatsApp share: a workspace's connection (settings, sealed secrets, status), the
webhook's way from a public key to a tenant, inbound events stored once, and per-channel rate limits.

Secrets (bot token, access token, app secret, verify token, webhook secret) are one JSON object sealed with
`SecretBox` (AES-GCM under SECRET_KEY, the tenant as associated data); the API never returns them. A
connection is cached per process (`TenantMemo`) until it changes, so webhooks and senders read no row.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Awaitable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import delete, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from backend.channels import service as web
from backend.delivery.senders import SendResult
from backend.lib.cache import TenantMemo, tenant_key
from backend.lib.crypto import SecretBox
from backend.lib.db import after_commit
from backend.lib.errors import NotFound
from backend.lib.platform import Platform
from backend.lib.tenancy import TenantContext, switch_tenant
from common.enums import Channel, DeliveryStatus, IdentityKind
from common.models import ChannelEvent, MemberIdentity, MessagingChannel, OutboxMessage
from common.settings import Settings


@dataclass(frozen=True)
class Connection:
    """A workspace's channel as code uses it: its settings and its opened secrets."""

    creator_id: uuid.UUID
    channel: Channel
    settings: dict[str, Any] = field(default_factory=dict)
    secrets: dict[str, str] = field(default_factory=dict)


# A note the member asked for by leaving (the /stop confirmation) goes out even though they opted out.
PARTING = "optout:"
_CONNECTIONS: TenantMemo[Connection | None] = TenantMemo("messaging", size=4096, ttl=300)


def utcnow() -> datetime:
    return datetime.now(UTC)


def box(platform: Platform) -> SecretBox:
    return SecretBox(platform.settings.secret_key)


def webhook_url(settings: Settings, channel: Channel, public_key: str) -> str:
    return f"{settings.public_api_url.rstrip('/')}/api/v1/channels/{channel.value}/{public_key}/webhook"


async def row_of(db: AsyncSession, channel: Channel) -> MessagingChannel | None:
    found: MessagingChannel | None = (
        await db.execute(select(MessagingChannel).where(col(MessagingChannel.channel) == channel.value))
    ).scalar_one_or_none()
    return found


def opened(platform: Platform, row: MessagingChannel) -> Connection:
    secrets = json.loads(box(platform).open(row.secrets, row.creator_id))
    return Connection(row.creator_id, Channel(row.channel), dict(row.settings), secrets)


def changed(platform: Platform, db: AsyncSession, creator_id: uuid.UUID) -> None:
    async def tell() -> None:
        await _CONNECTIONS.changed(platform.redis, creator_id)

    after_commit(db, tell)


async def save(
    platform: Platform,
    db: AsyncSession,
    creator_id: uuid.UUID,
    channel: Channel,
    settings: dict[str, Any],
    secrets: dict[str, str],
) -> MessagingChannel:
    """Store (or replace) the workspace's connection of this channel; secrets sealed, status reset."""
    sealed = box(platform).seal(json.dumps(secrets), creator_id)
    values = {"settings": settings, "secrets": sealed, "webhook_set": True, "last_error": None, "updated_at": utcnow()}
    await db.execute(
        insert(MessagingChannel)
        .values(id=uuid.uuid4(), creator_id=creator_id, channel=channel.value, **values)
        .on_conflict_do_update(index_elements=["creator_id", "channel"], set_=values)
    )
    changed(platform, db, creator_id)
    row = await row_of(db, channel)
    assert row is not None
    await db.refresh(row)
    return row


async def remove(platform: Platform, db: AsyncSession, creator_id: uuid.UUID, channel: Channel) -> bool:
    gone = await db.execute(
        delete(MessagingChannel)
        .where(col(MessagingChannel.channel) == channel.value)
        .returning(col(MessagingChannel.id))
    )
    changed(platform, db, creator_id)
    return gone.first() is not None


async def connection(platform: Platform, creator_id: uuid.UUID, channel: Channel) -> Connection | None:
    """The workspace's connection of this channel (None when not connected), cached until it changes."""

    async def load() -> Connection | None:
        async with platform.db.session(TenantContext(creator_id)) as db:
            row = await row_of(db, channel)
            await db.commit()
        return opened(platform, row) if row is not None else None

    return await _CONNECTIONS.get(platform.redis, creator_id, channel.value, load)


async def note_error(platform: Platform, creator_id: uuid.UUID, channel: Channel, error: str | None) -> None:
    """Keep the channel's last error (None: it works again) for the hub's status."""
    async with platform.db.session(TenantContext(creator_id)) as db:
        await db.execute(
            update(MessagingChannel)
            .where(col(MessagingChannel.channel) == channel.value)
            .values(last_error=error[:500] if error else None)
        )
        await db.commit()


async def webhook_tenant(platform: Platform, db: AsyncSession, public_key: str, channel: Channel) -> Connection:
    """The connection a webhook's public key names (404 for an unknown key or a channel not connected);
    the session then works as that tenant."""
    creator_id = await web.tenant_for_key(db, public_key)
    if creator_id is None:
        raise NotFound("Unknown channel key")
    await switch_tenant(db, TenantContext(creator_id))
    conn = await connection(platform, creator_id, channel)
    if conn is None:
        raise NotFound(f"{channel.value} is not connected in this workspace")
    return conn


async def record_event(
    platform: Platform, db: AsyncSession, creator_id: uuid.UUID, channel: Channel, event_id: str, payload: Any
) -> uuid.UUID | None:
    """Store an inbound event once (None: a duplicate) and queue its handling after the commit."""
    stored = (
        await db.execute(
            insert(ChannelEvent)
            .values(id=uuid.uuid4(), creator_id=creator_id, channel=channel.value, event_id=event_id, payload=payload)
            .on_conflict_do_nothing(index_elements=["creator_id", "channel", "event_id"])
            .returning(col(ChannelEvent.id))
        )
    ).scalar_one_or_none()
    if stored is None:
        return None

    async def queue() -> None:
        await platform.services.jobs.enqueue(
            "handle_channel_event",
            key=f"channel_event:{stored}",
            timeout=300,
            retries=3,
            creator_id=str(creator_id),
            event_id=str(stored),
        )

    after_commit(db, queue)
    return stored


async def touch(db: AsyncSession, channel: Channel) -> None:
    """An update arrived: the hub's status shows when."""
    await db.execute(
        update(MessagingChannel).where(col(MessagingChannel.channel) == channel.value).values(last_update_at=utcnow())
    )


async def set_opt_out(db: AsyncSession, kind: IdentityKind, value: str, opted_out: bool) -> None:
    await db.execute(
        update(MemberIdentity)
        .where(col(MemberIdentity.kind) == kind.value, col(MemberIdentity.value) == value)
        .values(opted_out_at=utcnow() if opted_out else None)
    )


async def address_of(
    platform: Platform, creator_id: uuid.UUID, member_id: uuid.UUID, kinds: tuple[IdentityKind, ...]
) -> tuple[str, datetime, bool] | None:
    """The member's address on a channel (value, last inbound, opted out), the most recently used one."""
    async with platform.db.session(TenantContext(creator_id)) as db:
        found = (
            await db.execute(
                select(MemberIdentity)
                .where(
                    col(MemberIdentity.member_id) == member_id,
                    col(MemberIdentity.kind).in_([k.value for k in kinds]),
                )
                .order_by(col(MemberIdentity.last_seen_at).desc())
                .limit(1)
            )
        ).scalar_one_or_none()
        await db.commit()
    if found is None:
        return None
    return found.value, found.last_seen_at, found.opted_out_at is not None


async def within_rate(platform: Platform, creator_id: uuid.UUID, limits: list[tuple[str, int]]) -> float:
    """Count one send against each (name, per-second limit); 0 when all admit it, else the seconds to wait.
    Fixed one-second windows in Redis, shared by every worker."""
    second = int(time.time())
    pipe = platform.redis.pipeline()
    for name, _ in limits:
        key = tenant_key("sendrate", creator_id, f"{name}:{second}")
        pipe.incr(key)
        pipe.expire(key, 3)
    counts = (await pipe.execute())[0::2]
    if all(int(n) <= limit for n, (_, limit) in zip(counts, limits, strict=True)):
        return 0.0
    return max(0.05, second + 1 - time.time())


@dataclass(frozen=True)
class Recipient:
    """Where one outbox row goes: the channel's connection and the member's address on it."""

    conn: Connection
    address: str
    last_inbound: datetime


async def recipient(
    platform: Platform, row: OutboxMessage, channel: Channel, kinds: tuple[IdentityKind, ...], what: str
) -> Recipient | SendResult:
    """The row's connection and address, or the failed result that says why there is none (not connected,
    no address, opted out: a note the member asked for by leaving still goes)."""
    conn = await connection(platform, row.creator_id, channel)
    if conn is None:
        return SendResult(DeliveryStatus.failed, error=f"{channel.value} is not connected in this workspace")
    found = await address_of(platform, row.creator_id, row.member_id, kinds)
    if found is None:
        return SendResult(DeliveryStatus.failed, error=f"the member has no {what}")
    address, last_inbound, opted_out = found
    if opted_out and not row.idempotency_key.startswith(PARTING):
        return SendResult(DeliveryStatus.failed, error=f"the member opted out of {channel.value}")
    return Recipient(conn, address, last_inbound)


class Receipts:
    """What a provider already took for an outbox row, per part, kept in Redis the moment it answers: a
    retry after a worker died between the provider's answer and the database commit sends nothing twice."""

    TTL = 7 * 24 * 3600

    def __init__(self, platform: Platform, creator_id: uuid.UUID, outbox_id: uuid.UUID) -> None:
        self._redis = platform.redis
        self._key = tenant_key("outbox", creator_id, f"sent:{outbox_id}")

    async def taken(self, part: str) -> str | None:
        found = await cast(Awaitable[str | None], self._redis.hget(self._key, part))
        return str(found) if found is not None else None

    async def keep(self, part: str, provider_id: str) -> None:
        pipe = self._redis.pipeline()
        pipe.hset(self._key, part, provider_id)
        pipe.expire(self._key, self.TTL)
        await pipe.execute()
