"""WhatsApp end to end, against the fake Cloud API on loopback: connecting a number, the subscription
handshake, signatures, the twin's reply, duplicates, statuses out of order, another workspace's webhook,
check-in buttons and answers, and the 24-hour window (text inside, the template outside, 131047 late)."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import asyncpg
import pytest
from litestar.testing import AsyncTestClient

from backend.delivery import outbox
from backend.lib.platform import Platform
from common.enums import Channel
from tests.channels.conftest import eventually
from tests.channels.test_telegram_outbox import Killed, queue_message
from tests.conftest import register_and_login
from tests.fakes.fake_whatsapp import FakeWhatsApp
from tests.programs.conftest import published

WA = "447700900123"


@pytest.fixture
async def wa() -> Any:
    async with FakeWhatsApp() as server:
        yield server


async def connect_whatsapp(
    client: AsyncTestClient[Any], staff: dict[str, Any], fake: FakeWhatsApp, **extra: Any
) -> dict[str, Any]:
    body = {
        "phone_number_id": fake.phone_number_id,
        "access_token": fake.access_token,
        "app_secret": fake.app_secret,
        "verify_token": "verify-me-please",
        "api_base": fake.url,
        "api_version": fake.api_version,
        "template_name": "checkin_reminder",
        "template_language": "en_US",
        **extra,
    }
    r = await client.put("/api/v1/channels/whatsapp", headers=staff["headers"], json=body)
    assert r.status_code == 200, r.text
    out: dict[str, Any] = r.json()
    return out


def path_of(out: dict[str, Any]) -> str:
    return "/api/v1/" + out["webhook_url"].split("/api/v1/", 1)[1]


async def outbox_rows(admin: asyncpg.Connection, workspace_id: str) -> list[asyncpg.Record]:
    return await admin.fetch(
        "SELECT * FROM outbox WHERE creator_id = $1::uuid AND channel = 'whatsapp' ORDER BY created_at",
        workspace_id,
    )


async def test_connect_verify_and_refuse_what_is_not_signed(
    client: AsyncTestClient[Any], wa: FakeWhatsApp, admin_conn: asyncpg.Connection
) -> None:
    staff = await register_and_login(client, "waconnect")
    out = await connect_whatsapp(client, staff, wa)
    assert out["connected"] is True and out["template_name"] == "checkin_reminder"
    status = await client.get("/api/v1/channels/whatsapp", headers=staff["headers"])
    for secret in (wa.access_token, wa.app_secret, "verify-me-please"):
        assert secret not in status.text
    path = path_of(out)
    ok = {"hub.mode": "subscribe", "hub.verify_token": "verify-me-please", "hub.challenge": "1158201444"}
    r = await client.get(path, params=ok)
    assert r.status_code == 200 and r.text == "1158201444"
    for bad in ({**ok, "hub.verify_token": "nope"}, {**ok, "hub.mode": "unsubscribe"}, {}):
        assert (await client.get(path, params=bad)).status_code == 403

    other = await register_and_login(client, "waother")
    other_out = await connect_whatsapp(client, other, wa, app_secret="another-app-secret")
    message = wa.inbound(WA, "hello")
    for secret in ("wrong", "another-app-secret"):
        r = await wa.deliver(client.post, path, message, secret=secret)
        assert r.status_code == 401 and set(r.json()) == {"error", "detail"}
    r = await client.post(path, content=b'{"object": "whatsapp_business_account"}')
    assert r.status_code == 401  # no signature at all
    # Signed with this workspace's secret but sent to the other workspace's webhook: refused there too.
    assert (await wa.deliver(client.post, path_of(other_out), message)).status_code == 401
    events = await admin_conn.fetchval(
        "SELECT count(*) FROM channel_events WHERE creator_id = ANY($1::uuid[])",
        [staff["workspace_id"], other["workspace_id"]],
    )
    assert events == 0  # nothing stored
    # Another number's entry, correctly signed: not this workspace's message.
    foreign = wa.inbound(WA, "hello")
    foreign["entry"][0]["changes"][0]["value"]["metadata"]["phone_number_id"] = "555000"
    r = await wa.deliver(client.post, path, foreign)
    assert r.status_code == 200 and r.json() == {"taken": 0}
    raw, headers = wa.signed({"object": "instagram"})
    assert (await client.post(path, content=raw, headers=headers)).status_code == 422


async def test_a_member_writes_gets_one_reply_and_statuses_move_forward(
    client: AsyncTestClient[Any], wa: FakeWhatsApp, admin_conn: asyncpg.Connection
) -> None:
    staff = await register_and_login(client, "wareply")
    path = path_of(await connect_whatsapp(client, staff, wa))
    message = wa.inbound(WA, "How do I stay calm at work?", name="Ada", user_id="US.13491208655302741918")
    r = await wa.deliver(client.post, path, message)
    assert r.status_code == 200 and r.json() == {"taken": 1}
    assert await eventually(lambda: wa.to(WA))
    assert (await wa.deliver(client.post, path, message)).status_code == 200  # Meta retries: dropped
    await eventually(lambda: len(wa.to(WA)) > 1, timeout=3)
    replies = wa.to(WA)
    assert len(replies) == 1 and replies[0].type == "text"
    row = (await outbox_rows(admin_conn, staff["workspace_id"]))[0]
    assert replies[0].callback_data == row["idempotency_key"]  # our key rides along
    keys = await admin_conn.fetch(
        "SELECT kind, value, member_id FROM member_identities WHERE creator_id = $1::uuid ORDER BY kind",
        staff["workspace_id"],
    )
    assert [(k["kind"], k["value"]) for k in keys] == [
        ("whatsapp_bsuid", "US.13491208655302741918"),
        ("whatsapp_wa_id", WA),
    ]
    assert keys[0]["member_id"] == keys[1]["member_id"]  # one member, both ids

    await wa.deliver_statuses(client.post, path, reverse=True)  # delivered before sent
    row = (await outbox_rows(admin_conn, staff["workspace_id"]))[0]
    assert row["status"] == "delivered" and row["delivered_at"] is not None
    await wa.deliver(client.post, path, wa.status(replies[0], "read"))
    await wa.deliver(client.post, path, wa.status(replies[0], "sent"))  # late: changes nothing
    r = await client.get("/api/v1/deliveries", headers=staff["headers"], params={"status": "read"})
    assert [d["id"] for d in r.json()["deliveries"]] == [str(row["id"])]


async def test_program_check_in_inside_and_a_message_outside_the_window(
    client: AsyncTestClient[Any], wa: FakeWhatsApp, admin_conn: asyncpg.Connection, services_platform: Platform
) -> None:
    staff = await register_and_login(client, "waprogram")
    path = path_of(await connect_whatsapp(client, staff, wa))
    await wa.deliver(client.post, path, wa.inbound(WA, "hi", name="Grace"))
    await eventually(lambda: wa.to(WA))
    member_id = await admin_conn.fetchval(
        "SELECT member_id::text FROM member_identities WHERE creator_id = $1::uuid AND value = $2",
        staff["workspace_id"],
        WA,
    )
    pid = await published(client, staff)
    r = await client.post(
        f"/api/v1/programs/{pid}/enrollments", headers=staff["headers"], json={"member_id": member_id}
    )
    assert r.status_code == 201, r.text
    # Inside the window: the program's text, then its check-in as reply buttons (more than three: a list).
    assert await eventually(lambda: any(m.type == "interactive" for m in wa.to(WA)))
    texts = [m.text for m in wa.to(WA)]
    assert "Hello Grace" in texts
    question = next(m for m in wa.to(WA) if m.type == "interactive")
    rows = question.payload["interactive"]["action"]["sections"][0]["rows"]
    assert [r["id"] for r in rows] == ["a:1", "a:2", "a:3", "a:4", "a:5"]
    press = wa.answer_press(WA, "a:4", "4")
    press["entry"][0]["changes"][0]["value"]["messages"][0]["type"] = "interactive"
    press["entry"][0]["changes"][0]["value"]["messages"][0]["interactive"] = {
        "type": "list_reply",
        "list_reply": {"id": "a:4", "title": "4"},
    }
    before = len(wa.to(WA))
    await wa.deliver(client.post, path, press)
    assert await eventually(lambda: len(wa.to(WA)) > before)  # the receipt
    answer = await admin_conn.fetchval(
        "SELECT content FROM messages WHERE creator_id = $1::uuid AND sender = 'member' ORDER BY created_at DESC",
        staff["workspace_id"],
    )
    assert answer == "4"

    # 25 hours later the member has not written: the next message goes out as the creator's template.
    await admin_conn.execute(
        "UPDATE member_identities SET last_seen_at = now() - interval '25 hours' WHERE member_id = $1::uuid",
        member_id,
    )
    wa.clock = lambda: 10**10
    conv = await admin_conn.fetchval(
        "SELECT id FROM conversations WHERE member_id = $1::uuid ORDER BY updated_at DESC", member_id
    )
    r = await client.post(
        f"/api/v1/conversations/{conv}/messages", headers=staff["headers"], json={"text": "Still with me?"}
    )
    assert r.status_code in (200, 201), r.text
    assert await eventually(lambda: any(m.type == "template" for m in wa.to(WA)))
    template = next(m for m in wa.to(WA) if m.type == "template")
    assert template.payload["template"]["name"] == "checkin_reminder"
    assert template.text == "Still with me?"


async def test_a_late_131047_resends_as_the_template(
    client: AsyncTestClient[Any], wa: FakeWhatsApp, admin_conn: asyncpg.Connection
) -> None:
    staff = await register_and_login(client, "walate")
    path = path_of(await connect_whatsapp(client, staff, wa))
    await wa.deliver(client.post, path, wa.inbound(WA, "hello"))
    await eventually(lambda: wa.to(WA))
    # Our clock says the window is open; WhatsApp's says it closed: the text fails later, in a status.
    wa.last_inbound[WA] = 0.0
    conv = await admin_conn.fetchval(
        "SELECT c.id FROM conversations c JOIN member_identities i ON i.member_id = c.member_id"
        " WHERE i.value = $1 AND c.creator_id = $2::uuid",
        WA,
        staff["workspace_id"],
    )
    r = await client.post(f"/api/v1/conversations/{conv}/messages", headers=staff["headers"], json={"text": "Evening!"})
    assert r.status_code in (200, 201), r.text
    assert await eventually(lambda: any(m.text == "Evening!" and m.type == "text" for m in wa.to(WA)))
    await eventually(lambda: wa.pending)
    await wa.deliver_statuses(client.post, path)
    assert await eventually(lambda: any(m.type == "template" for m in wa.to(WA)))

    async def resent_row() -> asyncpg.Record | None:
        rows = await outbox_rows(admin_conn, staff["workspace_id"])
        return next((r for r in rows if r["template_only"] and r["status"] == "sent"), None)

    resent = await eventually(resent_row)  # the worker records what the fake already took
    assert resent is not None and "template" in resent["error"]
    assert sum(1 for m in wa.to(WA) if m.callback_data == resent["idempotency_key"]) == 2  # text, then template


async def test_sync_131047_and_rate_limits(
    client: AsyncTestClient[Any], wa: FakeWhatsApp, admin_conn: asyncpg.Connection, services_platform: Platform
) -> None:
    staff = await register_and_login(client, "wasync")
    path = path_of(await connect_whatsapp(client, staff, wa))
    await wa.deliver(client.post, path, wa.inbound(WA, "hello"))
    await eventually(lambda: wa.to(WA))
    cid = uuid.UUID(staff["workspace_id"])
    member = await admin_conn.fetchval("SELECT member_id FROM member_identities WHERE creator_id = $1", cid)
    wa.window_errors, wa.last_inbound[WA] = "sync", 0.0
    await asyncio.sleep(1.05)  # one message per second per recipient
    row = await queue_message(services_platform, cid, member, "Morning!", channel=Channel.whatsapp)
    assert (await outbox.deliver(services_platform, cid, [row]))[0] == {"sent": 1}
    assert wa.to(WA)[-1].type == "template"  # refused as text at once: the template instead

    await asyncio.sleep(1.05)
    wa.rate_limit_next = 1
    limited = await queue_message(services_platform, cid, member, "Noon!", channel=Channel.whatsapp)
    counts, retry = await outbox.deliver(services_platform, cid, [limited])
    assert counts == {"queued": 1} and retry is not None
    stored = await admin_conn.fetchrow("SELECT * FROM outbox WHERE id = $1", limited)
    assert "130429" in stored["error"] and stored["attempts"] == 1


async def test_a_worker_killed_after_the_send_does_not_send_twice(
    client: AsyncTestClient[Any],
    wa: FakeWhatsApp,
    admin_conn: asyncpg.Connection,
    services_platform: Platform,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    staff = await register_and_login(client, "wakill")
    path = path_of(await connect_whatsapp(client, staff, wa))
    await wa.deliver(client.post, path, wa.inbound(WA, "hello"))
    await eventually(lambda: wa.to(WA))
    cid = uuid.UUID(staff["workspace_id"])
    member = await admin_conn.fetchval("SELECT member_id FROM member_identities WHERE creator_id = $1", cid)
    await asyncio.sleep(1.05)
    row = await queue_message(services_platform, cid, member, "Your weekly review", channel=Channel.whatsapp)
    key = await admin_conn.fetchval("SELECT idempotency_key FROM outbox WHERE id = $1", row)

    def die(*_: Any) -> None:
        raise Killed

    monkeypatch.setattr(outbox, "_finish", die)
    with pytest.raises(Killed):
        await outbox.deliver(services_platform, cid, [row])
    monkeypatch.undo()
    await admin_conn.execute(
        "UPDATE outbox SET claimed_at = now() - interval '2 minutes', next_attempt_at = now() - interval '1 minute'"
        " WHERE id = $1",
        row,
    )
    assert (cid, row) in await outbox.stale(services_platform)  # the sweeper finds it
    assert (await outbox.deliver(services_platform, cid, [row]))[0] == {"sent": 1}
    assert [m.callback_data for m in wa.sent].count(key) == 1  # the fake counts our idempotency key once
