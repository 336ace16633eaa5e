"""The hub's side of members' chat: the Channels page (snippet, settings, the identity secret shown once) and a
creator taking over a member's conversation in Conversations, replying in person, and handing it back."""

from __future__ import annotations

import re
import secrets

import httpx
from playwright.sync_api import Page, expect

from e2e.conftest import new_creator, register, shot, sign_in, token_for


def test_channels_page_snippet_settings_and_secret(page: Page, api: httpx.Client) -> None:
    creator = new_creator("channels")
    register(api, creator)
    sign_in(page, creator)
    page.get_by_role("link", name="Channels").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Channels")
    expect(page.get_by_label("Embed snippet")).to_have_value(re.compile(r'<script src=".+/widget\.js" data-key="pk_'))
    expect(page.get_by_role("button", name="Copy snippet")).to_be_visible()

    page.get_by_label("Allowed sites").fill("https://www.example.com\nhttps://*.example.org")
    page.get_by_label("Welcome message").fill("Hello, I am your coach's twin.")
    page.get_by_label("Starter prompts").fill("Where do I start?\nWhat is your method?")
    page.get_by_role("button", name="Save widget settings").click()
    expect(page.get_by_text("Widget settings saved.")).to_be_visible()
    headers = {"Authorization": f"Bearer {token_for(api, creator)}"}
    web = api.get("/api/v1/channels/web", headers=headers).json()
    assert web["allowed_origins"] == ["https://www.example.com", "https://*.example.org"]
    assert web["starter_prompts"] == ["Where do I start?", "What is your method?"]
    # The live preview keeps working with a list of sites: the hub's origin is the platform's own.
    preview = page.frame_locator("iframe[title='Widget preview']")
    page.locator("iframe[title='Widget preview']").scroll_into_view_if_needed()
    preview.get_by_role("button", name=re.compile(r"^Chat: ")).click()
    chat = preview.frame_locator("iframe[title^='Chat with']")
    box = chat.get_by_role("textbox", name=re.compile("^Message to"))
    box.fill("Where do I start?")
    box.press("Enter")
    # The first chat turn of a fresh API process loads the models: slow on a shared machine.
    expect(chat.locator("#log .msg--twin:not(.is-streaming)").first).to_be_visible(timeout=90_000)

    # The identity secret: shown once, then only "set".
    page.get_by_role("button", name="Create identity secret").click()
    secret_box = page.get_by_label("New identity secret")
    expect(secret_box).to_be_visible()
    secret = secret_box.inner_text().strip()
    assert len(secret) >= 32
    shot(page, "channels")
    page.get_by_role("button", name="I saved it").click()
    expect(page.get_by_text(secret)).to_have_count(0)
    page.reload()
    expect(page.get_by_text("An identity secret is set")).to_be_visible()
    expect(page.get_by_text(secret)).to_have_count(0)
    # Rotating asks first: hashes signed with the old secret stop working.
    page.get_by_role("button", name="Rotate identity secret").click()
    page.get_by_test_id("confirm-rotate").click()
    expect(page.get_by_label("New identity secret")).to_be_visible()
    assert page.get_by_label("New identity secret").inner_text().strip() != secret


def test_takeover_from_a_handoff_request(page: Page, api: httpx.Client) -> None:
    creator = new_creator("takeover")
    register(api, creator)
    staff = {"Authorization": f"Bearer {token_for(api, creator)}"}
    key = api.get("/api/v1/channels/web", headers=staff).json()["public_key"]
    member = api.post("/api/v1/widget/sessions", json={"key": key, "visitor_id": secrets.token_urlsafe(18)}).json()
    as_member = {"Authorization": f"Bearer {member['token']}"}
    asked = api.post("/api/v1/me/handoff", headers=as_member, json={"reason": "I would like to talk to you"})
    assert asked.status_code == 200, asked.text
    prefs = {"quiet_hours": {"start": "21:30", "end": "06:45"}, "opt_out_channels": ["telegram"]}
    assert api.put("/api/v1/me/preferences", headers=as_member, json=prefs).status_code == 200

    sign_in(page, creator)
    page.get_by_role("link", name="Conversations").first.click()
    page.get_by_label("Show").click()
    page.get_by_role("option", name="Asked for a person").click()
    expect(page.get_by_text("asked for a person").first).to_be_visible()
    page.get_by_test_id("conversation-row").first.click()
    expect(page.get_by_test_id("handoff")).to_contain_text("I would like to talk to you")
    # Why a nudge might not reach them: their own reminder choices, read-only.
    reminders = page.get_by_text(re.compile(r"^Reminders: \S"))  # the line, not its bold label
    expect(reminders).to_have_text("Reminders: quiet hours 21:30-06:45 (their time); no reminders on telegram")

    page.get_by_role("button", name="Take over").click()
    expect(page.get_by_text("You hold this conversation")).to_be_visible()
    page.get_by_label("Your reply").fill("Hi, it's me in person. How can I help?")
    page.get_by_role("button", name="Send").click()
    expect(page.get_by_test_id("msg-who").last).to_contain_text("(in person)")
    shot(page, "conversation-takeover")
    messages = api.get("/api/v1/me/messages", headers=as_member).json()["messages"]
    assert messages[-1]["role"] == "creator" and messages[-1]["text"] == "Hi, it's me in person. How can I help?"
    assert messages[-1]["author"] == creator.name

    page.get_by_role("button", name="Hand back to the twin").click()
    expect(page.get_by_text("The twin answers this member")).to_be_visible()
    me = api.get("/api/v1/me", headers=as_member).json()
    assert me["takeover"]["active"] is False


def test_channels_page_connects_telegram_and_whatsapp(page: Page, api: httpx.Client) -> None:
    from tests.fakes.fake_telegram import FakeTelegram

    creator = new_creator("messaging")
    register(api, creator)
    sign_in(page, creator)
    page.get_by_role("link", name="Channels").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Channels")
    with FakeTelegram() as tg:
        page.get_by_label("Bot token").fill(tg.token)
        page.get_by_label("Bot API address (optional)").fill(tg.url)
        page.get_by_role("button", name="Connect Telegram").click()
        expect(page.get_by_text("Telegram bot @coach_twin_bot connected.")).to_be_visible()
        assert tg.webhooks[tg.token][0].endswith("/webhook")
    expect(page.get_by_role("button", name="Disconnect Telegram")).to_be_visible()
    expect(page.get_by_text(tg.token)).to_have_count(0)  # the token is never shown back

    page.get_by_label("Phone number ID").fill("109876543210")
    page.get_by_label("Access token").fill("EAAG-e2e-access-token")
    page.get_by_label("App secret").fill("e2e-app-secret")
    page.get_by_label("Verify token").fill("e2e-verify-token")
    page.get_by_label("Template name (outside the 24-hour window)").fill("checkin_reminder")
    page.get_by_label("Template language").fill("en_US")
    page.get_by_role("button", name="Connect WhatsApp").click()
    expect(page.get_by_text("WhatsApp number connected", exact=False)).to_be_visible()
    expect(page.get_by_text("checkin_reminder (en_US)")).to_be_visible()
    shot(page, "channels-messaging")
    headers = {"Authorization": f"Bearer {token_for(api, creator)}"}
    assert api.get("/api/v1/channels/whatsapp", headers=headers).json()["connected"] is True
    page.get_by_role("button", name="Disconnect Telegram").click()
    expect(page.get_by_text("Telegram disconnected.")).to_be_visible()
    expect(page.get_by_role("button", name="Connect Telegram")).to_be_visible()
