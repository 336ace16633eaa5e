"""The companion page on a phone (a member's program, streak and goals beside the chat; installable), and
axe-core on the chat UI and the companion page at 1366, 768 and 390 px, light and dark."""

from __future__ import annotations

import re

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Frame, Page, expect

from e2e.axe import assert_accessible
from e2e.conftest import Servers, shot
from e2e.hostpages import HostSite
from e2e.widget_setup import Coach, coach, enroll, host_page, phone, program, site, unique

__all__ = ["coach", "phone", "site"]  # fixtures
WIDTHS = [(1366, 768), (768, 1024), (390, 844)]


def test_companion_page_on_a_phone(phone: BrowserContext, coach: Coach, servers: Servers) -> None:
    page = phone.new_page()
    page.goto(f"{servers.api_url}/m/{coach.key}")
    expect(page.get_by_role("heading", name="Your progress")).to_be_visible()
    manifest = page.locator("link[rel=manifest]").get_attribute("href")
    assert manifest
    body = page.evaluate("async (u) => (await fetch(u)).json()", manifest)
    assert body["display"] == "standalone" and body["start_url"] == f"/m/{coach.key}"
    assert {i["sizes"] for i in body["icons"]} == {"192x192", "512x512"}
    # Nothing on the device, no service worker, before the member interacts.
    assert page.evaluate("() => Object.keys(localStorage)") == []
    assert page.evaluate("async () => (await navigator.serviceWorker.getRegistrations()).length") == 0
    assert page.evaluate("async () => (await caches.keys()).length") == 0
    assert page.evaluate("async () => (await navigator.serviceWorker.getRegistrations()).length") == 0

    box = page.get_by_role("textbox", name=re.compile("^Message to"))
    assert box.evaluate("e => getComputedStyle(e).fontSize") == "16px"
    box.fill("What is the best remedy for anger?")
    page.get_by_role("button", name="Send message").tap()
    reply = page.locator("#log .msg--twin").last
    expect(reply).to_contain_text(re.compile("delay is the best remedy", re.I), timeout=30_000)
    page.wait_for_function("async () => (await navigator.serviceWorker.getRegistrations()).length > 0")
    member_id = page.evaluate("(k) => JSON.parse(localStorage.getItem('coachtwin:' + k)).m", coach.key)

    graph = program(
        ("ask", "checkin", {"question": "How calm were you today?", "kind": "scale", "min": 1, "max": 5}),
        ("goal", "goal", {"name": "First calm day"}),
    )
    enroll(coach, member_id, "Calm week", graph)
    expect(page.locator("#log .msg--program").last).to_contain_text("How calm were you today?")
    # On a phone the progress is one line above the chat, opened on demand.
    summary = page.locator("#progress summary")
    expect(summary).to_contain_text("How calm were you today?")
    summary.tap()
    expect(page.get_by_role("heading", name="Calm week")).to_be_visible()
    expect(page.locator("#progress")).to_contain_text("A check-in is waiting")
    answers = page.get_by_role("group", name="Your answer")
    expect(answers.get_by_role("button")).to_have_text(["1", "2", "3", "4", "5"])
    answers.get_by_role("button", name="4").tap()
    expect(page.locator("#progress").get_by_text(re.compile("First calm day"))).to_be_visible(timeout=30_000)
    expect(page.locator("#progress .goals .done")).to_contain_text("First calm day")
    expect(page.locator("#progress")).to_contain_text(re.compile(r"Streak\s*1 day"))
    shot(page, "companion-phone")

    # Fully on the phone's width, nothing wider than the screen.
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
    # Reopened later (the installed app): the same member, the same history.
    page.reload()
    expect(page.locator("#log .msg--member").first).to_contain_text("What is the best remedy for anger?")
    # A shared phone: "forget me" leaves nothing of this member on it.
    page.locator("#progress summary").tap()
    page.get_by_role("button", name="Forget me on this device").tap()
    expect(page.get_by_role("heading", name="Your progress")).to_be_visible()
    expect(page.locator("#log .msg")).to_have_count(0)
    assert page.evaluate("() => Object.keys(localStorage)") == []
    assert page.evaluate("async () => (await navigator.serviceWorker.getRegistrations()).length") == 0
    assert page.evaluate("async () => (await caches.keys()).length") == 0


def widget_frame(page: Page) -> Frame:
    page.get_by_role("button", name=re.compile(r"^Chat: ")).click()
    page.frame_locator("iframe[title^='Chat with']").get_by_role("textbox").wait_for()
    return next(f for f in page.frames if "/widget/frame" in f.url)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_chat_ui_and_companion_pass_axe(
    browser: Browser, coach: Coach, site: HostSite, servers: Servers, scheme: str
) -> None:
    url = site.put(f"/axe-{scheme}.html", host_page(coach, title="Axe"))
    for width, height in WIDTHS:
        context = browser.new_context(viewport={"width": width, "height": height}, color_scheme=scheme)  # type: ignore[arg-type]
        try:
            page = context.new_page()
            page.goto(url)
            frame = widget_frame(page)
            # With a conversation on screen: a reply with sources and thumbs, a note.
            box = page.frame_locator("iframe[title^='Chat with']").get_by_role("textbox")
            box.fill(f"What is the best remedy for anger? {unique('q')}")
            box.press("Enter")
            page.frame_locator("iframe[title^='Chat with']").locator("#log .msg--twin .sources").wait_for(
                timeout=30_000
            )
            assert_accessible(frame, f"the chat UI at {width}px ({scheme})")
            companion = context.new_page()
            companion.goto(f"{servers.api_url}/m/{coach.key}")
            companion.get_by_role("heading", name="Your progress").wait_for()
            assert_accessible(companion, f"the companion page at {width}px ({scheme})")
            if width == 390:
                shot(companion, f"companion-{scheme}")
                shot(page, f"widget-{scheme}")
        finally:
            context.close()


def said_hello_on_the_companion(phone: BrowserContext, coach: Coach, servers: Servers) -> Page:
    """A member's first visit on a phone: says hello (consent), gets a reply, opens the progress panel."""
    page = phone.new_page()
    page.goto(f"{servers.api_url}/m/{coach.key}")
    box = page.get_by_role("textbox", name=re.compile("^Message to"))
    box.fill(f"Hello {unique('hi')}")
    page.get_by_role("button", name="Send message").tap()
    page.locator("#log .msg--twin").last.wait_for(timeout=30_000)
    page.locator("#progress summary").tap()
    return page


def test_a_member_sets_their_reminders_on_the_companion_page(
    phone: BrowserContext, coach: Coach, servers: Servers
) -> None:
    page = said_hello_on_the_companion(phone, coach, servers)
    reminders = page.get_by_role("form", name="Reminders")
    expect(reminders).to_be_visible(timeout=15_000)

    reminders.get_by_label("Pause reminders").select_option(label="For a week")
    reminders.get_by_label("Quiet hours (your time)").check()
    reminders.get_by_label("From").fill("21:30")
    reminders.get_by_label("to", exact=True).fill("06:45")
    reminders.get_by_role("button", name="Save reminder settings").tap()
    expect(reminders.get_by_role("status")).to_have_text("Saved.")
    expect(reminders).to_contain_text("Paused until")
    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme)  # type: ignore[arg-type]
        assert_accessible(page, f"the companion page's reminder settings ({scheme})")

    # What the member chose is what the server keeps: a new visit shows it.
    page.reload()
    page.locator("#progress summary").tap()
    reminders = page.get_by_role("form", name="Reminders")
    expect(reminders).to_contain_text("Paused until")
    expect(reminders.get_by_label("Quiet hours (your time)")).to_be_checked()
    expect(reminders.get_by_label("From")).to_have_value("21:30")
    expect(reminders.get_by_label("to", exact=True)).to_have_value("06:45")

    reminders.get_by_role("button", name="Resume reminders").tap()
    expect(reminders.get_by_role("status")).to_have_text("Reminders are back on.")
    expect(reminders.get_by_label("Pause reminders")).to_be_visible()
    reminders.get_by_label("Quiet hours (your time)").uncheck()
    reminders.get_by_label("Stop all reminders").check()
    reminders.get_by_role("button", name="Save reminder settings").tap()
    expect(reminders.get_by_role("status")).to_have_text("Saved.")
    page.reload()
    page.locator("#progress summary").tap()
    reminders = page.get_by_role("form", name="Reminders")
    expect(reminders.get_by_label("Stop all reminders")).to_be_checked()
    expect(reminders.get_by_label("Quiet hours (your time)")).not_to_be_checked()


def test_a_member_continues_on_telegram(phone: BrowserContext, coach: Coach, servers: Servers) -> None:
    from tests.fakes.fake_telegram import FakeTelegram

    page = said_hello_on_the_companion(phone, coach, servers)
    expect(page.get_by_role("button", name="Copy link for another device")).to_be_visible()
    # No bot connected: nothing offered.
    expect(page.get_by_role("button", name="Continue on Telegram")).to_have_count(0)

    with FakeTelegram() as tg:
        headers = {"Authorization": f"Bearer {coach.token}"}
        body = {"bot_token": "123456:TEST-token", "api_base": tg.url}
        with httpx.Client(base_url=servers.api_url, timeout=30) as api:
            assert api.put("/api/v1/channels/telegram", headers=headers, json=body).status_code == 200
        phone.route("https://t.me/**", lambda route: route.fulfill(body="Telegram", content_type="text/plain"))
        page.reload()
        page.locator("#progress summary").tap()
        offer = page.get_by_role("button", name="Continue on Telegram")
        with phone.expect_page() as opened:
            offer.tap()
        popup = opened.value
        popup.wait_for_url(re.compile(r"^https://t\.me/coach_twin_bot\?start=[\w-]{20,}$"))
        expect(page.get_by_role("button", name="Telegram opened: press Start there")).to_be_visible()


def test_a_long_history_loads_earlier_messages_on_demand(phone: BrowserContext, coach: Coach, servers: Servers) -> None:
    page = said_hello_on_the_companion(phone, coach, servers)
    member_id = page.evaluate("(k) => JSON.parse(localStorage.getItem('coachtwin:' + k)).m", coach.key)
    # 120 program messages after the hello and its reply: more than the first page of 100 holds.
    steps = [(f"s{n}", "message", {"text": f"Note number {n} of the long program."}) for n in range(1, 121)]
    enroll(coach, member_id, "Long program", program(*steps))
    expect(page.locator("#log .msg").last).to_contain_text("Note number 120", timeout=60_000)

    page.reload()
    log = page.get_by_role("list", name="Conversation")
    expect(log.get_by_role("listitem").last).to_contain_text("Note number 120")
    expect(log.get_by_role("listitem")).to_have_count(100)
    expect(log.get_by_text("Note number 1 of", exact=False)).to_have_count(0)
    page.get_by_role("button", name="Show earlier messages").tap()
    expect(log.get_by_role("listitem")).to_have_count(122)  # hello, its reply, 120 notes
    expect(log.get_by_role("listitem").first).to_contain_text("Hello")
    expect(log.get_by_role("listitem").nth(2)).to_contain_text("Note number 1 of")
    expect(page.get_by_role("button", name="Show earlier messages")).to_be_hidden()
    # Still in order: nothing shown twice, the newest last.
    expect(log.get_by_role("listitem").last).to_contain_text("Note number 120")
