"""The outbox on Telegram: long messages split, 429 waits its retry_after, 403 opts out, a check-in's answers
as buttons, exactly once when a worker dies between the send and the commit, and with two workers at once."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import asyncpg
import pytest
from litestar.testing import AsyncTestClient

from backend.delivery import outbox
from backend.delivery.outbox import Outgoing
from backend.lib.platform import Platform
from backend.lib.tenancy import TenantContext
from backend.members import identities
from common.enums import Channel, IdentityKind
from tests.channels.conftest import connect_telegram
from tests.conftest import register_and_login
from tests.delivery.test_outbox import a_message, staged
from tests.fakes.fake_telegram import FakeTelegram

ALPHA = "111:alpha-token"


async def chat_member(platform: Platform, creator_id: uuid.UUID, chat: int) -> uuid.UUID:
    async with platform.db.session(TenantContext(creator_id)) as db:
        member = await identities.for_channel(platform, db, creator_id, IdentityKind.telegram_chat, str(chat))
        await identities.seen(db, member, Channel.telegram)
        await db.commit()
    return member.id


async def queue_message(
    platform: Platform,
    creator_id: uuid.UUID,
    member_id: uuid.UUID,
    text: str,
    meta: dict[str, Any] | None = None,
    channel: Channel = Channel.telegram,
) -> uuid.UUID:
    """A proactive message for the member, staged (not queued: the test delivers it by hand)."""
    message = await a_message(platform, creator_id, member_id, text, channel, meta)
    ids = await staged(platform, creator_id, [Outgoing(member_id, message, f"t:{message}", channel)])
    return ids[0]


@pytest.fixture
async def workspace(client: AsyncTestClient[Any], tg: FakeTelegram) -> uuid.UUID:
    staff = await register_and_login(client, "tgoutbox")
    await connect_telegram(client, staff, tg, ALPHA)
    return uuid.UUID(staff["workspace_id"])


async def test_long_text_split_429_waits_and_403_opts_out(
    workspace: uuid.UUID, tg: FakeTelegram, services_platform: Platform, admin_conn: asyncpg.Connection
) -> None:
    cid, p = workspace, services_platform
    member = await chat_member(p, cid, 5001)
    text = ("Each day is a small life. " * 200).strip()  # 5,199 characters
    row = await queue_message(p, cid, member, text)
    tg.flood_next, tg.flood_retry_after = 1, 7
    counts, retry = await outbox.deliver(p, cid, [row])
    assert counts == {"queued": 1} and retry is not None
    stored = await admin_conn.fetchrow("SELECT * FROM outbox WHERE id = $1", row)
    assert (stored["next_attempt_at"] - stored["updated_at"]).total_seconds() == 7  # Telegram's retry_after
    await admin_conn.execute("UPDATE outbox SET next_attempt_at = now() WHERE id = $1", row)
    await asyncio.sleep(1.05)  # the chat's one-message-per-second window
    counts, _ = await outbox.deliver(p, cid, [row])
    assert counts == {"sent": 1}
    parts = tg.texts_to(5001)
    assert len(parts) == 2 and all(len(t) <= 4096 for t in parts)
    assert " ".join(parts) == text

    tg.blocked.add(5001)
    await asyncio.sleep(1.05)
    blocked = await queue_message(p, cid, member, "Still there?")
    counts, _ = await outbox.deliver(p, cid, [blocked])
    assert counts == {"failed": 1}
    stored = await admin_conn.fetchrow("SELECT * FROM outbox WHERE id = $1", blocked)
    assert "blocked" in stored["error"]
    opted = await admin_conn.fetchval("SELECT opted_out_at FROM member_identities WHERE member_id = $1", member)
    assert opted is not None
    later = await queue_message(p, cid, member, "And now?")
    assert (await outbox.deliver(p, cid, [later]))[0] == {"failed": 1}  # opted out: nothing is sent
    assert len(tg.texts_to(5001)) == 2


async def test_check_in_answers_are_buttons(
    workspace: uuid.UUID, tg: FakeTelegram, services_platform: Platform
) -> None:
    member = await chat_member(services_platform, workspace, 5101)
    meta = {"check_in": {"node_id": "mood", "kind": "scale", "options": ["1", "2", "3", "4", "5"]}}
    row = await queue_message(services_platform, workspace, member, "How is your mood today?", meta)
    assert (await outbox.deliver(services_platform, workspace, [row]))[0] == {"sent": 1}
    markup = tg.sent[-1].reply_markup
    assert markup == {"inline_keyboard": [[{"text": n, "callback_data": f"a:{n}"} for n in "12345"]]}


class Killed(BaseException):
    """The worker's process dies: nothing after this point runs."""


async def test_a_worker_killed_between_send_and_commit_does_not_send_twice(
    workspace: uuid.UUID,
    tg: FakeTelegram,
    services_platform: Platform,
    admin_conn: asyncpg.Connection,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    member = await chat_member(services_platform, workspace, 5201)
    row = await queue_message(services_platform, workspace, member, "Your evening reflection")

    def die(*_: Any) -> None:
        raise Killed

    monkeypatch.setattr(outbox, "_finish", die)
    with pytest.raises(Killed):
        await outbox.deliver(services_platform, workspace, [row])
    monkeypatch.undo()
    assert tg.texts_to(5201) == ["Your evening reflection"]  # Telegram took it ...
    stored = await admin_conn.fetchrow("SELECT status, attempts FROM outbox WHERE id = $1", row)
    assert stored["status"] == "queued" and stored["attempts"] == 1  # ... and the database never heard
    # The lease runs out; the sweeper (another worker) claims the row again.
    await admin_conn.execute(
        "UPDATE outbox SET claimed_at = now() - interval '2 minutes', next_attempt_at = now() - interval '1 minute'"
        " WHERE id = $1",
        row,
    )
    assert (workspace, row) in await outbox.stale(services_platform)
    counts, _ = await outbox.deliver(services_platform, workspace, [row])
    assert counts == {"sent": 1}
    assert tg.texts_to(5201) == ["Your evening reflection"]  # once
    stored = await admin_conn.fetchrow("SELECT status, attempts, provider_message_id FROM outbox WHERE id = $1", row)
    assert stored["status"] == "sent" and stored["attempts"] == 2
    assert stored["provider_message_id"] == str(tg.sent[-1].message_id)


async def test_two_workers_deliver_each_message_exactly_once(
    workspace: uuid.UUID, tg: FakeTelegram, services_platform: Platform, migrated_database: str
) -> None:
    from backend.features import open_services
    from common.settings import get_settings

    second = Platform.open(get_settings())  # another worker process: its own pools and HTTP client
    open_services(second)
    try:
        chats = list(range(6000, 6025))
        members = [await chat_member(services_platform, workspace, c) for c in chats]
        rows = [await queue_message(services_platform, workspace, m, f"Note {i}") for i, m in enumerate(members)]
        results = await asyncio.gather(
            outbox.deliver(services_platform, workspace, rows), outbox.deliver(second, workspace, rows)
        )
        assert sum(r[0].get("sent", 0) for r in results) == len(rows)
        for i, chat in enumerate(chats):
            assert tg.texts_to(chat) == [f"Note {i}"]
    finally:
        await second.close()
