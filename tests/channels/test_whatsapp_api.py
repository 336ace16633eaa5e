"""The WhatsApp Cloud API client and webhook decoding against a fake Graph API on loopback."""

from __future__ import annotations

import json
from typing import Any

import pytest

from backend.channels.whatsapp.api import WhatsAppCloud, WhatsAppError
from backend.channels.whatsapp.webhooks import (
    Delivery,
    PayloadError,
    decode,
    sign,
    signature_valid,
    subscription_challenge,
)
from tests.fakes.fake_whatsapp import WINDOW_SECONDS, FakeWhatsApp


@pytest.fixture
async def fake() -> Any:
    async with FakeWhatsApp() as server:
        yield server


def cloud(fake: FakeWhatsApp, token: str | None = None) -> WhatsAppCloud:
    return WhatsAppCloud(
        fake.phone_number_id, token or fake.access_token, api_base=fake.url, api_version=fake.api_version
    )


async def test_text_inside_the_window_then_statuses(fake: FakeWhatsApp) -> None:
    inbound = decode(json.dumps(fake.inbound("4915112345678", "Hi coach", user_id="DE.123")).encode())
    assert [(m.wa_id, m.user_id, m.name, m.text) for m in inbound.messages] == [
        ("4915112345678", "DE.123", "Ada", "Hi coach")
    ]
    api = cloud(fake)
    wamid = await api.send_text("4915112345678", "Hello Ada", callback_data="outbox:abc")
    assert fake.to("4915112345678")[0].wamid == wamid and fake.to("4915112345678")[0].text == "Hello Ada"
    statuses = [s for p in fake.pending for s in decode(json.dumps(p).encode()).statuses]
    assert [(s.message_id, s.status, s.callback_data) for s in statuses] == [
        (wamid, Delivery.SENT, "outbox:abc"),
        (wamid, Delivery.DELIVERED, "outbox:abc"),
    ]
    await api.aclose()


async def test_outside_the_window_text_fails_later_with_131047_and_a_template_goes(fake: FakeWhatsApp) -> None:
    fake.inbound("111", "hello")
    fake.clock = lambda: fake.last_inbound["111"] + WINDOW_SECONDS + 60  # a day and a minute later
    api = cloud(fake)
    wamid = await api.send_text("111", "Checking in")  # accepted ...
    (failed,) = decode(json.dumps(fake.pending[-1]).encode()).statuses  # ... then refused by webhook
    assert (failed.message_id, failed.status, failed.error_code) == (wamid, Delivery.FAILED, 131047)
    await api.send_template("111", "checkin_reminder", "en", ["Ada"])
    assert fake.sent[-1].type == "template" and fake.sent[-1].text == "Ada"
    fake.window_errors = "sync"
    with pytest.raises(WhatsAppError) as refused:
        await api.send_text("111", "again")
    assert refused.value.outside_window and not refused.value.retryable
    with pytest.raises(WhatsAppError) as unknown:
        await api.send_template("111", "no_such_template", "en", [])
    assert unknown.value.code == 132001
    await api.aclose()


async def test_rate_limit_and_bad_token(fake: FakeWhatsApp) -> None:
    fake.rate_limit_next = 1
    api = cloud(fake)
    with pytest.raises(WhatsAppError) as limited:
        await api.send_text("1", "x")
    assert limited.value.rate_limited and limited.value.retryable
    await api.aclose()
    bad = cloud(fake, token="expired")
    with pytest.raises(WhatsAppError) as auth:
        await bad.send_text("1", "x")
    assert auth.value.code == 190
    await bad.aclose()


async def test_choices_as_buttons_or_a_list(fake: FakeWhatsApp) -> None:
    fake.inbound("222", "hi")
    api = cloud(fake)
    await api.send_choices("222", "Did you practise today?", [("yes", "Yes"), ("no", "No")])
    assert fake.sent[-1].payload["interactive"]["type"] == "button"
    await api.send_choices("222", "How was your focus (1-5)?", [(str(i), str(i)) for i in range(1, 6)])
    assert fake.sent[-1].payload["interactive"]["type"] == "list"
    with pytest.raises(ValueError):
        await api.send_choices("222", "too many", [(str(i), str(i)) for i in range(11)])
    press = decode(json.dumps(fake.answer_press("222", "yes", "Yes")).encode()).messages[0]
    assert (press.kind, press.answer_id, press.text) == ("answer", "yes", "Yes")
    await api.aclose()


def test_signatures_and_subscription() -> None:
    raw = b'{"object":"whatsapp_business_account","entry":[]}'
    assert signature_valid("s3", raw, sign("s3", raw))
    assert not signature_valid("s3", raw, sign("other", raw))
    assert not signature_valid("s3", raw + b" ", sign("s3", raw))
    assert not signature_valid("s3", raw, None) and not signature_valid("s3", raw, "md5=abc")
    ok = {"hub.mode": "subscribe", "hub.verify_token": "vt", "hub.challenge": "1158201444"}
    assert subscription_challenge(ok, "vt") == "1158201444"
    assert subscription_challenge({**ok, "hub.verify_token": "nope"}, "vt") is None
    assert subscription_challenge({**ok, "hub.mode": "unsubscribe"}, "vt") is None
    assert subscription_challenge(ok, "") is None


def test_payloads_that_are_not_whatsapp_are_refused(fake: FakeWhatsApp) -> None:
    for bad in (b"", b"[]", b'{"object": "page", "entry": []}', b'{"object": "whatsapp_business_account", "entry": 5}'):
        with pytest.raises(PayloadError):
            decode(bad)
    image = fake.inbound("333", "x")
    image["entry"][0]["changes"][0]["value"]["messages"][0] = {"from": "333", "id": "wamid.I", "type": "image"}
    assert decode(json.dumps(image).encode()).messages == []  # media is skipped, not an error
