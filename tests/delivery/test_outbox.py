"""The outbox: one row per message and key, delivered once, retried with backoff, swept when a job was lost,
and never across tenants."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import asyncpg
import pytest
from litestar.testing import AsyncTestClient

from backend.delivery import outbox
from backend.delivery.outbox import Outgoing
from backend.delivery.senders import SENDERS, SendResult
from backend.lib.platform import Platform
from backend.lib.tenancy import TenantContext
from common.enums import Channel, DeliveryStatus, MessageSender
from common.models import Conversation, Message, OutboxMessage
from tests.conftest import register_and_login
from tests.fixtures.widget import web_channel, widget_member


async def a_message(
    platform: Platform,
    creator_id: uuid.UUID,
    member_id: uuid.UUID,
    text: str,
    channel: Channel = Channel.web,
    meta: dict[str, Any] | None = None,
) -> uuid.UUID:
    async with platform.db.session(TenantContext(creator_id)) as db:
        conv = Conversation(creator_id=creator_id, member_id=member_id, kind="member")
        db.add(conv)
        await db.flush()
        message = Message(
            creator_id=creator_id,
            conversation_id=conv.id,
            role="assistant",
            sender=MessageSender.proactive.value,
            channel=channel.value,
            content=text,
            meta=meta or {},
        )
        db.add(message)
        await db.commit()
    return message.id


async def staged(platform: Platform, creator_id: uuid.UUID, outgoing: list[Outgoing]) -> list[uuid.UUID]:
    async with platform.db.session(TenantContext(creator_id)) as db:
        ids = await outbox.stage(db, creator_id, outgoing)
        outbox.take_staged(db)  # deliver by hand here, not through the queue
        await db.commit()
    return ids


@pytest.fixture
async def someone(client: AsyncTestClient[Any]) -> dict[str, Any]:
    staff = await register_and_login(client, "outbox")
    key = (await web_channel(client, staff))["public_key"]
    member = await widget_member(client, key)
    return {"creator_id": uuid.UUID(staff["workspace_id"]), "member_id": uuid.UUID(member["member_id"])}


async def row(admin: asyncpg.Connection, outbox_id: uuid.UUID) -> asyncpg.Record:
    found = await admin.fetchrow("SELECT * FROM outbox WHERE id = $1", outbox_id)
    assert found is not None
    return found


async def test_one_row_per_key_and_one_delivery(
    someone: dict[str, Any],
    platform: Platform,
    admin_conn: asyncpg.Connection,
) -> None:
    cid, mid = someone["creator_id"], someone["member_id"]
    message = await a_message(platform, cid, mid, "Time for your walk?")
    first = await staged(platform, cid, [Outgoing(mid, message, "nudge:1", Channel.web)])
    again = await staged(platform, cid, [Outgoing(mid, message, "nudge:1", Channel.web)])
    assert len(first) == 1 and again == []  # the same key: nothing new
    counts, retry = await outbox.deliver(platform, cid, first)
    assert counts == {"sent": 1} and retry is None  # no socket open: the member reads it on their next visit
    assert (await outbox.deliver(platform, cid, first))[0] == {}  # already delivered: nothing happens
    stored = await row(admin_conn, first[0])
    assert stored["status"] == "sent" and stored["attempts"] == 1 and stored["sent_at"] is not None


async def test_a_failing_channel_retries_with_backoff_then_fails(
    someone: dict[str, Any],
    platform: Platform,
    admin_conn: asyncpg.Connection,
) -> None:
    calls: list[int] = []

    class Flaky:
        async def send(self, platform: Platform, row: OutboxMessage, message: Message, live: int) -> SendResult:
            calls.append(row.attempts)
            return SendResult(DeliveryStatus.queued, error="429 Too Many Requests", retry_after=30)

    cid, mid = someone["creator_id"], someone["member_id"]
    message = await a_message(platform, cid, mid, "Checking in")
    ids = await staged(platform, cid, [Outgoing(mid, message, "flaky:1", Channel.telegram)])
    real = SENDERS.get(Channel.telegram)
    SENDERS[Channel.telegram] = Flaky()
    try:
        counts, retry = await outbox.deliver(platform, cid, ids)
        stored = await row(admin_conn, ids[0])
        assert counts == {"queued": 1} and retry is not None
        assert stored["status"] == "queued" and stored["attempts"] == 1 and stored["error"] == "429 Too Many Requests"
        assert stored["next_attempt_at"] - stored["updated_at"] == timedelta(seconds=30)  # the channel's own wait
        assert (await outbox.deliver(platform, cid, ids))[0] == {}  # not due yet: left alone
        for _ in range(outbox.MAX_ATTEMPTS):
            await admin_conn.execute(
                "UPDATE outbox SET next_attempt_at = now() - interval '1 second' WHERE id = $1", ids[0]
            )
            await outbox.deliver(platform, cid, ids)
        stored = await row(admin_conn, ids[0])
        assert stored["status"] == "failed" and stored["attempts"] == outbox.MAX_ATTEMPTS
        assert calls == list(range(1, outbox.MAX_ATTEMPTS + 1))  # each try sees itself counted
    finally:
        SENDERS.pop(Channel.telegram)
        if real is not None:
            SENDERS[Channel.telegram] = real


async def test_lost_jobs_are_swept(
    someone: dict[str, Any],
    platform: Platform,
    admin_conn: asyncpg.Connection,
) -> None:
    cid, mid = someone["creator_id"], someone["member_id"]
    message = await a_message(platform, cid, mid, "Left behind")
    ids = await staged(platform, cid, [Outgoing(mid, message, "lost:1", Channel.web)])  # its job never queued
    assert (cid, ids[0]) not in await outbox.stale(platform)  # still young: its own job may be on the way
    await admin_conn.execute("UPDATE outbox SET next_attempt_at = now() - interval '1 minute' WHERE id = $1", ids[0])
    assert (cid, ids[0]) in await outbox.stale(platform)
    # A worker is sending it (claimed, lease running): another sweep leaves it alone.
    await admin_conn.execute("UPDATE outbox SET claimed_at = now() WHERE id = $1", ids[0])
    assert (cid, ids[0]) not in await outbox.stale(platform)
    assert await outbox.deliver(platform, cid, ids) == ({}, None)
    # That worker died: after the lease the row is found and delivered once.
    await admin_conn.execute("UPDATE outbox SET claimed_at = now() - interval '1 hour' WHERE id = $1", ids[0])
    assert (cid, ids[0]) in await outbox.stale(platform)
    counts, _ = await outbox.deliver(platform, cid, ids)
    assert counts == {"sent": 1}
    stored = await row(admin_conn, ids[0])
    assert stored["claimed_at"] is None and stored["attempts"] == 1


async def test_status_reports_move_forward_only(
    someone: dict[str, Any],
    platform: Platform,
    admin_conn: asyncpg.Connection,
) -> None:
    class Provider:
        async def send(self, platform: Platform, row: OutboxMessage, message: Message, live: int) -> SendResult:
            return SendResult(DeliveryStatus.sent, provider_message_id=f"wamid.{row.id.hex}")

    cid, mid = someone["creator_id"], someone["member_id"]
    message = await a_message(platform, cid, mid, "Your weekly plan")
    ids = await staged(platform, cid, [Outgoing(mid, message, "plan:1", Channel.whatsapp)])
    real = SENDERS.get(Channel.whatsapp)
    SENDERS[Channel.whatsapp] = Provider()
    try:
        assert (await outbox.deliver(platform, cid, ids))[0] == {"sent": 1}
    finally:
        SENDERS.pop(Channel.whatsapp)
        if real is not None:
            SENDERS[Channel.whatsapp] = real
    provider_id = f"wamid.{ids[0].hex}"
    async with platform.db.session(TenantContext(cid)) as db:
        assert await outbox.record_status(db, Channel.whatsapp, provider_id, DeliveryStatus.read)
        assert not await outbox.record_status(db, Channel.whatsapp, provider_id, DeliveryStatus.delivered)  # late
        assert not await outbox.record_status(db, Channel.telegram, provider_id, DeliveryStatus.failed)  # no such
        await db.commit()
    stored = await row(admin_conn, ids[0])
    assert stored["status"] == "read" and stored["read_at"] and stored["delivered_at"]
    other = await a_message(platform, cid, mid, "x")  # another tenant never moves this tenant's rows
    assert other


async def test_no_tenant_delivers_another_tenants_rows(
    client: AsyncTestClient[Any],
    someone: dict[str, Any],
    platform: Platform,
    admin_conn: asyncpg.Connection,
) -> None:
    cid, mid = someone["creator_id"], someone["member_id"]
    message = await a_message(platform, cid, mid, "Private")
    ids = await staged(platform, cid, [Outgoing(mid, message, "private:1", Channel.web)])
    other = await register_and_login(client, "other")
    counts, _ = await outbox.deliver(platform, uuid.UUID(other["workspace_id"]), ids)
    assert counts == {}  # invisible under the other tenant's RLS
    assert (await row(admin_conn, ids[0]))["status"] == "queued"
