"""Telegram end to end, against the fake Bot API on loopback: connecting a bot, the webhook's secret, the
twin's cited reply in the chat, duplicates, /start links, /stop, and another workspace's webhook."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import asyncpg
from litestar.testing import AsyncTestClient

from backend.channels.telegram.inbound import GOODBYE, LINKED, WELCOME
from backend.lib.plaintext import plain_text
from tests.channels.conftest import connect_telegram, eventually
from tests.conftest import register_and_login
from tests.fakes.fake_telegram import FakeTelegram
from tests.programs.conftest import published

ALPHA, BETA = "111:alpha-token", "222:beta-token"


async def test_connecting_checks_the_token_and_sets_the_webhook(
    client: AsyncTestClient[Any], tg: FakeTelegram, admin_conn: asyncpg.Connection
) -> None:
    staff = await register_and_login(client, "tgconnect")
    r = await client.put(
        "/api/v1/channels/telegram", headers=staff["headers"], json={"bot_token": "999:unknown", "api_base": tg.url}
    )
    assert r.status_code == 422 and "bot_token" in r.json()["detail"]
    assert (await client.get("/api/v1/channels/telegram", headers=staff["headers"])).json()["connected"] is False

    body = await connect_telegram(client, staff, tg, ALPHA)
    key = (await client.get("/api/v1/channels/web", headers=staff["headers"])).json()["public_key"]
    assert body["connected"] is True and body["bot_username"] == "alpha_bot"
    assert body["webhook_url"].endswith(f"/api/v1/channels/telegram/{key}/webhook")
    url, secret = tg.webhooks[ALPHA]
    assert url == body["webhook_url"] and len(secret) >= 32
    assert [r.path for r in tg.requests] == ["/bot999:unknown/getMe", f"/bot{ALPHA}/getMe", f"/bot{ALPHA}/setWebhook"]
    status = await client.get("/api/v1/channels/telegram", headers=staff["headers"])
    assert status.status_code == 200 and status.json()["webhook_set"] is True
    assert ALPHA not in status.text and secret not in status.text  # secrets never come back
    stored = await admin_conn.fetchval(
        "SELECT secrets FROM messaging_channels WHERE creator_id = $1::uuid", staff["workspace_id"]
    )
    assert stored.startswith("v1.") and ALPHA not in stored and secret not in stored  # encrypted at rest

    assert (await client.delete("/api/v1/channels/telegram", headers=staff["headers"])).status_code == 204
    assert ALPHA not in tg.webhooks
    assert (await client.get("/api/v1/channels/telegram", headers=staff["headers"])).json()["connected"] is False


async def test_a_member_writes_and_gets_the_cited_reply_once(
    client: AsyncTestClient[Any], tg: FakeTelegram, seneca: dict[str, Any], admin_conn: asyncpg.Connection
) -> None:
    await connect_telegram(client, seneca, tg, ALPHA)
    chat = 7001
    update = tg.text_update(chat, "Why does life feel so short, and am I wasting my time?")
    r = await tg.deliver(client.post, update, token=ALPHA)
    assert r.status_code == 200 and r.json() == {"ok": True}
    replies = await eventually(lambda: tg.texts_to(chat))
    assert len(replies) == 1, replies
    stored = await admin_conn.fetchrow(
        "SELECT m.content, m.citations, m.grounded, m.channel FROM messages m"
        " WHERE m.creator_id = $1::uuid AND m.sender = 'twin' AND m.channel = 'telegram'"
        " ORDER BY m.created_at DESC LIMIT 1",
        seneca["workspace_id"],
    )
    assert stored["grounded"] is True and stored["citations"] != "[]"
    # the cited reply as the twin wrote it, its markdown as plain text (Telegram shows text as typed)
    assert replies[0] == plain_text(stored["content"]) and "\n> " in stored["content"]
    assert "\n“" in replies[0] and "\n>" not in replies[0] and "\\" not in replies[0]
    asked = await admin_conn.fetchval(
        "SELECT count(*) FROM messages WHERE creator_id = $1::uuid AND sender = 'member' AND channel = 'telegram'"
        " AND client_id = $2",
        seneca["workspace_id"],
        f"tg:{update['update_id']}",
    )
    assert asked == 1

    # Telegram retries a webhook it thinks failed: the same update is dropped.
    again = await tg.deliver(client.post, update, token=ALPHA)
    assert again.status_code == 200
    await eventually(lambda: len(tg.texts_to(chat)) > 1, timeout=3)
    assert len(tg.texts_to(chat)) == 1
    log = await client.get("/api/v1/deliveries", headers=seneca["headers"], params={"status": "sent"})
    assert log.status_code == 200
    sent = [d for d in log.json()["deliveries"] if d["channel"] == "telegram"]
    assert sent and sent[0]["attempts"] == 1 and sent[0]["idempotency_key"].startswith("reply:")


async def test_a_wrong_or_foreign_secret_is_refused_and_nothing_is_stored(
    client: AsyncTestClient[Any], tg: FakeTelegram, admin_conn: asyncpg.Connection
) -> None:
    alpha = await register_and_login(client, "tgalpha")
    beta = await register_and_login(client, "tgbeta")
    await connect_telegram(client, alpha, tg, ALPHA)
    await connect_telegram(client, beta, tg, BETA)
    beta_secret = tg.webhooks[BETA][1]
    for secret in ("wrong", "", beta_secret, tg.webhooks[ALPHA][1][:-1]):
        r = await tg.deliver(client.post, tg.text_update(9001, "hello"), token=ALPHA, secret=secret)
        assert r.status_code == 401, (secret, r.text)
        assert set(r.json()) == {"error", "detail"}
    # Beta's update, signed with beta's secret, sent to alpha's webhook: refused.
    url_beta = tg.webhooks[BETA][0]
    tg.webhooks[BETA] = (tg.webhooks[ALPHA][0], beta_secret)
    assert (await tg.deliver(client.post, tg.text_update(9001, "hi"), token=BETA)).status_code == 401
    tg.webhooks[BETA] = (url_beta, beta_secret)
    for staff in (alpha, beta):
        events = await admin_conn.fetchval(
            "SELECT count(*) FROM channel_events WHERE creator_id = $1::uuid", staff["workspace_id"]
        )
        assert events == 0
    bad = await client.post(
        "/api/v1/channels/telegram/pk_nobody_has_this_key_x/webhook", json={"update_id": 1}, headers={}
    )
    assert bad.status_code == 404
    garbage = await client.post(
        urlsplit(tg.webhooks[ALPHA][0]).path,
        content=b"not json",
        headers={"X-Telegram-Bot-Api-Secret-Token": tg.webhooks[ALPHA][1]},
    )
    assert garbage.status_code == 422

    # The same chat id writing to both bots: two members, one per workspace, each reply from its own bot.
    await tg.deliver(client.post, tg.text_update(9002, "hello there"), token=ALPHA)
    await tg.deliver(client.post, tg.text_update(9002, "hello there"), token=BETA)
    await eventually(lambda: {s.token for s in tg.sent if s.chat_id == 9002} == {ALPHA, BETA})
    for staff in (alpha, beta):
        members = await admin_conn.fetchval(
            "SELECT count(*) FROM member_identities WHERE creator_id = $1::uuid AND kind = 'telegram_chat'"
            " AND value = '9002'",
            staff["workspace_id"],
        )
        assert members == 1


async def test_start_links_a_member_and_stop_opts_out(
    client: AsyncTestClient[Any], tg: FakeTelegram, admin_conn: asyncpg.Connection
) -> None:
    staff = await register_and_login(client, "tglink")
    await connect_telegram(client, staff, tg, ALPHA)
    r = await client.post(
        "/api/v1/members", headers=staff["headers"], json={"external_id": "ada", "display_name": "Ada"}
    )
    member_id = r.json()["id"]
    r = await client.post("/api/v1/channels/telegram/links", headers=staff["headers"], json={"member_id": member_id})
    assert r.status_code == 201, r.text
    link = r.json()
    assert link["url"] == f"https://t.me/alpha_bot?start={link['token']}"

    # The chat wrote before (an anonymous member of its own), then opens the link: one member, history kept.
    await tg.deliver(client.post, tg.text_update(8001, "hello"), token=ALPHA)
    await eventually(lambda: tg.texts_to(8001))
    await tg.deliver(client.post, tg.text_update(8001, f"/start {link['token']}"), token=ALPHA)
    assert await eventually(lambda: LINKED in tg.texts_to(8001))
    owner = await admin_conn.fetchval(
        "SELECT member_id::text FROM member_identities WHERE creator_id = $1::uuid AND value = '8001'",
        staff["workspace_id"],
    )
    assert owner == member_id
    history = await admin_conn.fetch(
        "SELECT m.content FROM messages m JOIN conversations c ON c.id = m.conversation_id"
        " WHERE c.member_id = $1::uuid ORDER BY m.created_at",
        member_id,
    )
    assert history[0]["content"] == "hello"  # the anonymous chat's history moved to the member

    # The token works once: another chat opening it gets a member of its own.
    await tg.deliver(client.post, tg.text_update(8002, f"/start {link['token']}"), token=ALPHA)
    assert await eventually(lambda: WELCOME in tg.texts_to(8002))
    other = await admin_conn.fetchval(
        "SELECT member_id::text FROM member_identities WHERE creator_id = $1::uuid AND value = '8002'",
        staff["workspace_id"],
    )
    assert other != member_id

    await tg.deliver(client.post, tg.text_update(8001, "/stop"), token=ALPHA)
    assert await eventually(lambda: GOODBYE in tg.texts_to(8001))
    opted = await admin_conn.fetchval(
        "SELECT opted_out_at FROM member_identities WHERE creator_id = $1::uuid AND value = '8001'",
        staff["workspace_id"],
    )
    assert opted is not None
    # Blocking the bot (my_chat_member -> kicked) opts out as well.
    await tg.deliver(client.post, tg.member_update(8002, "kicked"), token=ALPHA)

    async def blocked() -> bool:
        return bool(
            await admin_conn.fetchval(
                "SELECT opted_out_at IS NOT NULL FROM member_identities WHERE creator_id = $1::uuid AND value = '8002'",
                staff["workspace_id"],
            )
        )

    assert await eventually(blocked)


async def test_a_program_check_in_is_answered_with_a_button(
    client: AsyncTestClient[Any], tg: FakeTelegram, admin_conn: asyncpg.Connection
) -> None:
    staff = await register_and_login(client, "tgprogram")
    await connect_telegram(client, staff, tg, ALPHA)
    await tg.deliver(client.post, tg.text_update(8501, "/start", first_name="Grace"), token=ALPHA)
    assert await eventually(lambda: WELCOME in tg.texts_to(8501))
    member_id = await admin_conn.fetchval(
        "SELECT member_id::text FROM member_identities WHERE creator_id = $1::uuid AND value = '8501'",
        staff["workspace_id"],
    )
    pid = await published(client, staff)
    r = await client.post(
        f"/api/v1/programs/{pid}/enrollments", headers=staff["headers"], json={"member_id": member_id}
    )
    assert r.status_code == 201, r.text
    # The program speaks on the channel the member last used: Telegram, the check-in with answer buttons.
    assert await eventually(lambda: any(t.startswith("Mood?") for t in tg.texts_to(8501)))
    question = next(s for s in tg.sent if s.chat_id == 8501 and s.text.startswith("Mood?"))
    assert question.reply_markup is not None
    buttons = [b["callback_data"] for row in question.reply_markup["inline_keyboard"] for b in row]
    assert buttons == ["a:1", "a:2", "a:3", "a:4", "a:5"]
    before = len(tg.texts_to(8501))
    await tg.deliver(client.post, tg.button_update(8501, "a:4", message_id=question.message_id), token=ALPHA)
    assert await eventually(lambda: len(tg.texts_to(8501)) > before)
    answer = await eventually(
        lambda: admin_conn.fetchval(
            "SELECT content FROM messages WHERE creator_id = $1::uuid AND sender = 'member' AND channel = 'telegram'"
            " ORDER BY created_at DESC LIMIT 1",
            staff["workspace_id"],
        )
    )
    assert answer == "4"
    events = await admin_conn.fetch(
        "SELECT e.* FROM program_events e JOIN program_enrollments n ON n.id = e.enrollment_id"
        " WHERE n.member_id = $1::uuid",
        member_id,
    )
    assert events, "the answer reached the program"
    assert any(r.path.endswith("/answerCallbackQuery") for r in tg.requests)


async def test_a_member_links_their_own_telegram_chat(
    client: AsyncTestClient[Any], tg: FakeTelegram, admin_conn: asyncpg.Connection
) -> None:
    from tests.chat.conftest import member_token

    staff = await register_and_login(client, "tgself")
    elsewhere = await register_and_login(client, "tgnone")
    member = await member_token(client, staff, "sam")
    stranger = await member_token(client, elsewhere, "sam")
    # No bot yet: nothing to offer, and no link.
    assert (await client.get("/api/v1/me", headers=member["headers"])).json()["channels"] == []
    assert (await client.post("/api/v1/me/telegram-link", headers=member["headers"])).status_code == 404

    await connect_telegram(client, staff, tg, ALPHA)
    assert (await client.get("/api/v1/me", headers=member["headers"])).json()["channels"] == ["telegram"]
    r = await client.post("/api/v1/me/telegram-link", headers=member["headers"])
    assert r.status_code == 201, r.text
    link = r.json()
    assert link["url"] == f"https://t.me/alpha_bot?start={link['token']}"
    await tg.deliver(client.post, tg.text_update(8101, f"/start {link['token']}"), token=ALPHA)
    assert await eventually(lambda: LINKED in tg.texts_to(8101))
    owner = await admin_conn.fetchval(
        "SELECT member_id::text FROM member_identities WHERE creator_id = $1::uuid AND value = '8101'",
        staff["workspace_id"],
    )
    assert owner == member["id"]
    # Another workspace's member sees neither the bot nor a link of this workspace's.
    assert (await client.get("/api/v1/me", headers=stranger["headers"])).json()["channels"] == []
    assert (await client.post("/api/v1/me/telegram-link", headers=stranger["headers"])).status_code == 404
    # Staff tokens are not members.
    assert (await client.post("/api/v1/me/telegram-link", headers=staff["headers"])).status_code == 403
