"""The Telegram client against a fake Bot API on loopback: the wire format, the errors, long replies, updates."""

from __future__ import annotations

import json
from typing import Any

import pytest

from backend.channels.telegram.api import (
    TelegramBlocked,
    TelegramBot,
    TelegramRetryAfter,
    TelegramUnauthorized,
    TelegramUnreachable,
    inline_keyboard,
    secret_matches,
    split_message,
)
from backend.channels.telegram.updates import Kind, UpdateError, decode_update, interpret
from tests.fakes.fake_telegram import FakeTelegram


@pytest.fixture
async def fake() -> Any:
    async with FakeTelegram() as server:
        yield server


async def test_get_me_set_webhook_and_send(fake: FakeTelegram) -> None:
    bot = TelegramBot(fake.token, api_base=fake.url)
    try:
        me = await bot.get_me()
        assert me.username == "coach_twin_bot"
        await bot.set_webhook("https://coach.example/api/v1/channels/telegram/k/webhook", "s3cret_-X")
        assert fake.webhooks[fake.token] == ("https://coach.example/api/v1/channels/telegram/k/webhook", "s3cret_-X")
        sent = fake.requests[-1].body
        assert sent["allowed_updates"] == ["message", "callback_query", "my_chat_member"]
        message_id = await bot.send_message(
            42, "Hello", reply_markup=inline_keyboard([("Yes", "c:yes"), ("No", "c:no")])
        )
        assert fake.sent[-1].message_id == message_id
        assert fake.texts_to(42) == ["Hello"]
        assert fake.sent[-1].reply_markup == {
            "inline_keyboard": [[{"text": "Yes", "callback_data": "c:yes"}, {"text": "No", "callback_data": "c:no"}]]
        }
    finally:
        await bot.aclose()


async def test_errors_that_change_what_we_do(fake: FakeTelegram) -> None:
    wrong = TelegramBot("999:nope", api_base=fake.url)
    with pytest.raises(TelegramUnauthorized):
        await wrong.get_me()
    await wrong.aclose()
    bot = TelegramBot(fake.token, api_base=fake.url)
    fake.blocked.add(7)
    with pytest.raises(TelegramBlocked):
        await bot.send_message(7, "hi")
    fake.flood_next, fake.flood_retry_after = 1, 3
    with pytest.raises(TelegramRetryAfter) as flood:
        await bot.send_message(8, "hi")
    assert flood.value.retry_after == 3
    assert await bot.send_message(8, "hi") > 0  # the flood is over
    with pytest.raises(ValueError):
        await bot.set_webhook("https://x.example/hook", "not a valid secret!")
    await bot.aclose()


async def test_unreachable_api_never_shows_the_token() -> None:
    bot = TelegramBot("123:SECRET-TOKEN", api_base="http://127.0.0.1:9", timeout=2)
    with pytest.raises(TelegramUnreachable) as down:
        await bot.get_me()
    assert "SECRET-TOKEN" not in str(down.value) and down.value.__cause__ is None
    await bot.aclose()


def test_long_replies_split_at_natural_breaks() -> None:
    paragraph = "Begin the morning by saying to thyself: I shall meet with the busy-body. " * 30
    text = "\n\n".join([paragraph.strip()] * 5)  # ~11,000 characters
    parts = split_message(text)
    assert len(parts) >= 3 and all(0 < len(p) <= 4096 for p in parts)
    assert all(p.endswith(".") for p in parts)  # cut after a sentence, never mid-word
    assert " ".join(" ".join(p.split()) for p in parts) == " ".join(text.split())
    unbroken = "x" * 9000
    assert [len(p) for p in split_message(unbroken)] == [4096, 4096, 808]
    assert split_message("short") == ["short"]


def test_secret_compare() -> None:
    assert secret_matches("abc", "abc")
    assert not secret_matches("abc", "abd") and not secret_matches("abc", None) and not secret_matches("", "")


def test_updates_mean_what_they_say(fake: FakeTelegram) -> None:
    def meaning(update: dict[str, Any]) -> Any:
        return interpret(decode_update(json.dumps(update).encode()))

    text = meaning(fake.text_update(42, "How do I stop procrastinating?"))
    assert (text.kind, text.chat_id, text.text) == (Kind.TEXT, 42, "How do I stop procrastinating?")
    assert text.user is not None and text.user.display_name == "Ada"
    start = meaning(fake.text_update(42, "/start lnk_AbC-123"))
    assert (start.kind, start.text) == (Kind.START, "lnk_AbC-123")
    assert meaning(fake.text_update(42, "/start@coach_twin_bot")).kind == Kind.START
    assert meaning(fake.text_update(42, "/stop")).kind == Kind.STOP
    assert meaning(fake.text_update(42, "/started thinking")).kind == Kind.TEXT
    press = meaning(fake.button_update(42, "c:yes", message_id=77))
    assert (press.kind, press.text, press.message_id) == (Kind.BUTTON, "c:yes", 77)
    assert meaning(fake.member_update(42, "kicked")).kind == Kind.BLOCKED
    assert meaning(fake.member_update(42, "member")).kind == Kind.UNBLOCKED
    group = fake.text_update(42, "hi")
    group["message"]["chat"]["type"] = "group"
    assert meaning(group).kind == Kind.IGNORED
    assert meaning({"update_id": 5, "edited_message": {"message_id": 1}}).kind == Kind.IGNORED
    for bad in (b"", b"[]", b'{"update_id": "x"}', b'{"message": {}}'):
        with pytest.raises(UpdateError):
            decode_update(bad)


async def test_deliver_posts_to_the_registered_webhook_with_its_secret(fake: FakeTelegram) -> None:
    fake.webhooks[fake.token] = ("https://coach.example/api/v1/channels/telegram/key1/webhook", "sec")
    calls: list[tuple[str, dict[str, Any]]] = []

    async def post(path: str, **kw: Any) -> int:
        calls.append((path, kw))
        return 200

    update = fake.text_update(1, "hi")
    await fake.deliver(post, update)
    await fake.deliver(post, update, secret="wrong")
    assert calls[0] == (
        "/api/v1/channels/telegram/key1/webhook",
        {"json": update, "headers": {"X-Telegram-Bot-Api-Secret-Token": "sec"}},
    )
    assert calls[1][1]["headers"] == {"X-Telegram-Bot-Api-Secret-Token": "wrong"}


async def test_enforced_limits_answer_429() -> None:
    async with FakeTelegram(enforce_limits=True) as fake:
        bot = TelegramBot(fake.token, api_base=fake.url)
        await bot.send_message(1, "one")
        with pytest.raises(TelegramRetryAfter):
            await bot.send_message(1, "two within the same second")
        await bot.send_message(2, "another chat is fine")
        assert fake.throttled == 1
        await bot.aclose()
