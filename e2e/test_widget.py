"""The web widget on a creator's site: a static page on another origin (a second loopback port) embeds the
snippet; a member chats, reloads, receives program messages live, is taken over by the creator; the rules
(allowed origins, signed identities, text never markup) hold in a real browser."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from e2e.axe import assert_accessible
from e2e.conftest import Creator, shot, sign_in
from e2e.hostpages import HostSite, host_site
from e2e.widget_setup import (
    DONE,
    LAUNCHER,
    Coach,
    a_member,
    ask,
    chat,
    coach,
    conversation_of,
    creator_does,
    enroll,
    events,
    host_page,
    open_widget,
    phone,
    program,
    site,
    staff,
    stored,
    unique,
    visitor,
)

__all__ = ["coach", "phone", "site", "visitor"]  # fixtures


@pytest.fixture(scope="module")
def foreign() -> Iterator[HostSite]:
    """Another site, not among the workspace's allowed origins (localhost is another host than 127.0.0.1)."""
    with host_site("localhost") as s:
        yield s


def test_member_asks_sees_the_reply_stream_with_sources_and_keeps_history(
    visitor: BrowserContext, coach: Coach, site: HostSite
) -> None:
    page = visitor.new_page()
    tokens: list[str] = []
    page.on("websocket", lambda ws: ws.on("framereceived", lambda f: tokens.append(str(f)) if '"token"' in f else None))
    page.goto(site.put("/club.html", host_page(coach)))
    expect(page.get_by_role("button", name=LAUNCHER)).to_be_visible()
    assert ["ready", None] in events(page)
    # Consent: nothing on the device before the visitor interacts, opening the chat included.
    assert page.evaluate("() => Object.keys(localStorage)") == []
    frame = open_widget(page)
    expect(frame.get_by_text("Welcome! Ask me about anger or time.")).to_be_visible()
    expect(frame.get_by_text(re.compile("You are chatting with an AI"))).to_be_visible()
    assert page.evaluate("() => Object.keys(localStorage)") == []
    inside = next(f for f in page.frames if "/widget/frame" in f.url)
    assert inside.evaluate("() => Object.keys(localStorage).length + Object.keys(sessionStorage).length") == 0
    assert page.context.cookies() == []

    # A starter prompt is a first message; the reply streams in, then shows its sources.
    frame.get_by_role("button", name="What is the best remedy for anger?").click()
    member = frame.locator("#log .msg--member")
    expect(member).to_have_count(1)
    expect(member).to_contain_text("What is the best remedy for anger?")
    reply = frame.locator("#log .msg--twin").last
    expect(reply).to_contain_text(re.compile("delay is the best remedy", re.I), timeout=30_000)
    sources = reply.get_by_text(re.compile(r"^\d+ sources?$"))
    expect(sources).to_be_visible()
    assert tokens, "the reply did not stream (no token frames)"
    sources.click()
    expect(reply.locator(".source-list li").first).to_contain_text("Stoic Notes")  # the title read from stoic_notes.md
    # A citation marker in the text opens and focuses its source.
    marker = reply.get_by_role("button", name=re.compile(r"^Source 1:"))
    if marker.count():
        marker.first.click()
        expect(reply.locator(".source-list li[data-n='1']")).to_be_focused()
    reply.get_by_role("button", name="Helpful", exact=True).click()
    expect(reply.get_by_role("button", name="Helpful", exact=True)).to_have_attribute("aria-pressed", "true")
    expect(reply.get_by_text("Thanks!")).to_be_visible()
    shot(page, "widget-chat")

    saved = stored(page, coach)
    assert saved.get("v") and saved.get("m"), saved
    # Reload: the conversation is still there, in order, once.
    page.reload()
    frame = open_widget(page)
    expect(frame.locator("#log .msg--member")).to_have_count(1)
    expect(frame.locator("#log .msg").first).to_contain_text("What is the best remedy for anger?")
    expect(frame.locator("#log .msg--twin").first).to_contain_text(re.compile("delay is the best remedy", re.I))
    expect(frame.locator("#log .msg--twin").first.get_by_role("button", name="Helpful", exact=True)).to_have_attribute(
        "aria-pressed", "true"
    )
    # Escape closes the chat and gives focus back to the launcher.
    frame.get_by_role("textbox", name=re.compile("^Message to")).press("Escape")
    expect(page.locator("iframe[title^='Chat with']")).to_be_hidden()
    expect(page.get_by_role("button", name=LAUNCHER)).to_be_focused()
    assert ["close", None] in events(page)


def test_program_message_arrives_live_with_unread_badge_and_answer_buttons(
    visitor: BrowserContext, coach: Coach, site: HostSite
) -> None:
    page, frame, member_id = a_member(visitor, site, coach, "Program page")
    page.get_by_role("button", name=re.compile("^Close chat")).click()

    graph = program(
        ("hello", "message", {"text": "Day 1: notice one moment of anger today."}),
        ("pause", "wait", {"duration_minutes": 0.05}),
        ("ask", "checkin", {"question": "Did you pause before reacting?", "kind": "yes_no"}),
    )
    enroll(coach, member_id, "Calm in 5 days", graph)

    # Closed chat: the launcher counts what arrives, and so does the page's title.
    launcher = page.get_by_role("button", name=LAUNCHER)
    expect(launcher).to_have_accessible_name(re.compile(r"1 unread message$"))
    expect(page).to_have_title("(1) Program page")
    # The timer worker sends the check-in a few seconds later, live.
    expect(launcher).to_have_accessible_name(re.compile(r"2 unread messages$"), timeout=30_000)
    launcher.click()
    expect(page).to_have_title("Program page")
    shown = frame.locator("#log .msg--program")
    expect(shown.first).to_contain_text("Day 1: notice one moment of anger today.")
    expect(shown.last).to_contain_text("Did you pause before reacting?")
    answers = frame.get_by_role("group", name="Your answer")
    expect(answers.get_by_role("button")).to_have_text(["Yes", "No"])
    answers.get_by_role("button", name="Yes").click()
    expect(frame.locator("#log .msg--member").last).to_have_text(re.compile("Yes"))
    expect(frame.get_by_role("group", name="Your answer")).to_have_count(0)
    expect(frame.locator("#log .msg").last).to_contain_text("Thank you, noted.", timeout=30_000)
    shot(page, "widget-program")


def test_creator_takes_over_and_the_member_sees_their_reply(
    visitor: BrowserContext, coach: Coach, site: HostSite
) -> None:
    page = visitor.new_page()
    page.goto(site.put("/takeover.html", host_page(coach, title="Takeover page")))
    frame = open_widget(page)
    frame.get_by_role("button", name="Talk to a person").click()
    expect(frame.locator("#log .msg").last).to_contain_text(re.compile("person", re.I))
    member_id = stored(page, coach)["m"]
    with staff(coach) as api:
        cid = conversation_of(api, member_id)
        creator_does(api, cid, "takeover")
        expect(frame.locator("#log").get_by_text(re.compile("has joined the conversation"))).to_be_visible()
        expect(frame.locator("#subtitle")).to_have_text(f"{coach.full_name} (a person) is answering")
        creator_does(api, cid, "messages", "Hello, it is me. **How can I help?**")
        human = frame.locator("#log .msg--creator").last
        expect(human).to_contain_text("How can I help?")
        expect(human).to_contain_text(coach.full_name)
        expect(human.locator("strong")).to_have_text("How can I help?")
        # While the creator holds the conversation the twin stays silent.
        ask(frame, "Thank you for stepping in")
        expect(frame.locator("#log .msg--member").last).not_to_contain_text("Sending")
        twin_replies = frame.locator(DONE).count()
        page.wait_for_timeout(1500)
        assert frame.locator(DONE).count() == twin_replies
        # A reload while the creator holds the conversation still says who answers.
        page.reload()
        frame = open_widget(page)
        expect(frame.locator("#subtitle")).to_have_text(f"{coach.full_name} (a person) is answering")
        creator_does(api, cid, "release")
        expect(frame.locator("#log").get_by_text("You are talking with the AI twin again.")).to_be_visible()
        expect(frame.locator("#subtitle")).to_have_text("AI twin")


def test_creator_takes_over_in_the_hub_and_the_member_sees_it_live(
    visitor: BrowserContext, page: Page, coach: Coach, site: HostSite
) -> None:
    """The creator in the hub's Conversations page, the member in the widget on the site, side by side."""
    member, frame, _ = a_member(visitor, site, coach, "Hub takeover")
    frame.get_by_role("button", name="Talk to a person").click()
    expect(frame.locator("#log .msg").last).to_contain_text(re.compile("person", re.I))

    sign_in(page, Creator(coach.email, coach.full_name, coach.workspace, coach.password))
    page.get_by_role("link", name="Conversations").first.click()
    # The newest conversation first: this member's, who just asked for a person.
    page.get_by_test_id("conversation-row").filter(has_text="asked for a person").first.click()
    page.get_by_role("button", name="Take over").click()
    expect(page.get_by_text("You hold this conversation")).to_be_visible()
    expect(frame.locator("#subtitle")).to_have_text(f"{coach.full_name} (a person) is answering")
    page.get_by_label("Your reply").fill("Hi, it is me in person. What happened?")
    page.get_by_role("button", name="Send").click()
    human = frame.locator("#log .msg--creator").last
    expect(human).to_contain_text("Hi, it is me in person. What happened?")
    expect(human).to_contain_text(coach.full_name)
    # The member answers (the twin stays silent); the creator finds it in the conversation.
    twin_said = frame.locator(DONE).count()
    ask(frame, "I lost my temper at work.")
    expect(frame.locator("#log .msg--member").last).not_to_contain_text("Sending")
    page.reload()
    expect(page.get_by_text("I lost my temper at work.")).to_be_visible()
    expect(frame.locator(DONE)).to_have_count(twin_said)
    shot(member, "widget-takeover")
    page.get_by_role("button", name="Hand back to the twin").click()
    expect(frame.locator("#subtitle")).to_have_text("AI twin")


def test_a_site_that_is_not_allowed_gets_no_launcher_and_no_session(
    visitor: BrowserContext, coach: Coach, foreign: HostSite
) -> None:
    page = visitor.new_page()
    page.goto(foreign.put("/elsewhere.html", host_page(coach, title="Somewhere else")))
    page.wait_for_function("() => window.__events.some(e => e[0] === 'error')")
    assert events(page)[-1][1]["error"] == "origin_not_allowed"
    expect(page.get_by_role("button", name=LAUNCHER)).to_have_count(0)
    # Asking by hand is refused too, and the chat page refuses to be framed here.
    status = page.evaluate(
        """async ([api, key]) => (await fetch(api + '/api/v1/widget/sessions', { method: 'POST',
              headers: { 'content-type': 'application/json' }, body: JSON.stringify({ key }) })).status""",
        [coach.api, coach.key],
    )
    assert status == 403
    page.evaluate(
        """([api, key]) => { const f = document.createElement('iframe'); f.title = 'forced';
              f.src = api + '/widget/frame?key=' + key + '&origin=' + encodeURIComponent(location.origin);
              document.body.append(f); }""",
        [coach.api, coach.key],
    )
    page.wait_for_timeout(1500)
    framed = page.frame_locator("iframe[title=forced]")
    expect(framed.get_by_role("textbox")).to_have_count(0)
    assert stored(page, coach) == {}


def test_signed_identity_is_one_member_and_a_forged_hash_is_refused(
    visitor: BrowserContext, coach: Coach, site: HostSite
) -> None:
    external = unique("member")
    good = coach.identity_hash(external)
    forged = "0" * 64

    def signed_in(digest: str) -> str:
        user = json.dumps({"external_id": external, "identity_hash": digest, "name": "Ann"})
        return host_page(coach, before=f"<script>window.coachTwinSettings = {{ user: {user} }};</script>")

    page = visitor.new_page()
    page.goto(site.put("/forged.html", signed_in(forged)))
    page.wait_for_function("() => window.__events.some(e => e[0] === 'error')")
    error = next(e[1] for e in events(page) if e[0] == "error")
    assert error["error"] == "identity_invalid", error

    members = []
    for visit in (1, 2):
        page = visitor.new_page()
        page.goto(site.put("/signed.html", signed_in(good)))
        frame = open_widget(page)
        ask(frame, f"Hello, I am signed in ({visit})")
        # The second visit shows the first one's conversation above the new question, in order.
        expect(frame.locator(DONE)).to_have_count(visit, timeout=30_000)
        expect(frame.locator("#log .msg--member .bubble")).to_have_text(
            [f"Hello, I am signed in ({n})" for n in range(1, visit + 1)]
        )
        members.append(stored(page, coach)["m"])
        page.close()
    assert members[0] == members[1]
    # Signing out on the site: reset() forgets this device's member.
    page = visitor.new_page()
    page.goto(site.url("/signed.html"))
    page.get_by_role("button", name=LAUNCHER).wait_for()
    page.evaluate("() => CoachTwin.reset()")
    assert stored(page, coach) == {}
    frame = open_widget(page)
    expect(frame.locator("#log .msg")).to_have_count(0)  # the next visitor of this device sees nothing of theirs


def test_a_visitor_who_signs_in_keeps_their_conversation(visitor: BrowserContext, coach: Coach, site: HostSite) -> None:
    page, frame, anonymous = a_member(visitor, site, coach, "Sign in later")
    external = unique("later")
    page.evaluate(
        "([x, h]) => CoachTwin.identify({ external_id: x, identity_hash: h, name: 'Lena' })",
        [external, coach.identity_hash(external)],
    )
    page.wait_for_function("(k) => (JSON.parse(localStorage.getItem('coachtwin:' + k)) || {}).x", arg=coach.key)
    assert stored(page, coach)["m"] != anonymous  # the member the site signed in; the visitor was merged into it
    expect(frame.locator("#log .msg--member .bubble")).to_have_text(["How should I use my time?"])
    ask(frame, "Now I am signed in.")
    expect(frame.locator(DONE)).to_have_count(2, timeout=30_000)
    # On another device (the companion page) the same signed-in member sees the same conversation.
    phone_page = visitor.new_page()
    link = f"{coach.api}/m/{coach.key}#x={external}&h={coach.identity_hash(external)}&n=Lena"
    phone_page.goto(link)
    mine = phone_page.locator("#log .msg--member .bubble")
    expect(mine).to_have_text(["How should I use my time?", "Now I am signed in."])


def test_colour_position_and_scheme_come_from_the_creator(
    visitor: BrowserContext, coach: Coach, site: HostSite
) -> None:
    theme = {"color": "#b45309", "position": "left", "color_scheme": "dark", "launcher_label": "Ask me"}
    with staff(coach) as api:
        assert api.put("/api/v1/channels/web", json={"theme": theme}).status_code == 200
        try:
            page = visitor.new_page()
            page.goto(site.put("/theme.html", host_page(coach, title="Theme")))
            launcher = page.get_by_role("button", name=re.compile(r"^Ask me: "))
            expect(launcher).to_have_css("background-color", "rgb(180, 83, 9)")
            box = launcher.bounding_box()
            assert box is not None and box["x"] < 100, box  # bottom left
            launcher.click()
            frame = chat(page)
            expect(frame.locator("html")).to_have_attribute("data-theme", "dark")
            expect(frame.locator(".head")).to_have_css("background-color", "rgb(180, 83, 9)")
            assert_accessible(next(f for f in page.frames if "/widget/frame" in f.url), "the chat UI in amber, dark")
        finally:
            api.put("/api/v1/channels/web", json={"theme": {}})


def test_markup_in_names_and_messages_is_shown_as_text(visitor: BrowserContext, coach: Coach, site: HostSite) -> None:
    trap = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=1</script>'
    external = unique("trap")
    user = json.dumps({"external_id": external, "identity_hash": coach.identity_hash(external), "name": trap})
    settings = f"<script>window.coachTwinSettings = {{ user: {user} }};</script>"
    page = visitor.new_page()
    page.goto(site.put("/trap.html", host_page(coach, before=settings)))
    frame = open_widget(page)
    # The workspace's name (the twin's, with no approved persona) holds markup: shown as typed.
    expect(frame.get_by_role("heading", level=1)).to_contain_text("Stoa <i>Studio</i>")
    ask(frame, trap + " **not bold for members**")
    mine = frame.locator("#log .msg--member").last
    expect(mine).to_contain_text("<script>window.__pwned=1</script>")
    expect(mine.locator("img, script, strong")).to_have_count(0)
    expect(frame.locator(DONE)).to_have_count(1, timeout=30_000)
    with staff(coach) as api:
        cid = conversation_of(api, stored(page, coach)["m"])
        creator_does(api, cid, "takeover")
        creator_does(api, cid, "messages", trap + " [x](javascript:window.__pwned=1)")
    human = frame.locator("#log .msg--creator").last
    expect(human).to_contain_text("<script>window.__pwned=1</script>")
    expect(frame.locator("#log img, #log script, #log a[href^='javascript']")).to_have_count(0)
    frame_page = next(f for f in page.frames if "/widget/frame" in f.url)
    assert frame_page.evaluate("() => window.__pwned") is None
    assert page.evaluate("() => window.__pwned") is None


def test_calls_made_before_the_script_loads_wait_for_it(visitor: BrowserContext, coach: Coach, site: HostSite) -> None:
    page = visitor.new_page()
    queue = "<script>window.CoachTwin = [['open']];</script>"
    page.goto(site.put("/queued.html", host_page(coach, title="Queued", before=queue)))
    expect(chat(page).get_by_role("textbox", name=re.compile("^Message to"))).to_be_visible()
    assert ["open", None] in events(page)
    page.evaluate("() => CoachTwin.close()")
    expect(page.locator("iframe[title^='Chat with']")).to_be_hidden()


def test_keyboard_only(visitor: BrowserContext, coach: Coach, site: HostSite) -> None:
    page = visitor.new_page()
    page.goto(site.put("/keys.html", host_page(coach, title="Keys")))
    launcher = page.get_by_role("button", name=LAUNCHER)
    expect(launcher).to_be_visible()
    page.keyboard.press("Tab")
    expect(launcher).to_be_focused()
    page.keyboard.press("Enter")
    frame = chat(page)
    box = frame.get_by_role("textbox", name=re.compile("^Message to"))
    expect(box).to_be_focused()
    page.keyboard.type("How should I use my time?")
    page.keyboard.press("Enter")
    expect(frame.locator(DONE)).to_have_count(1, timeout=30_000)
    # Shift+Tab walks back through the reply's controls to the header; Escape closes from anywhere inside.
    page.keyboard.press("Shift+Tab")
    expect(frame.get_by_role("button", name="Not helpful")).to_be_focused()
    page.keyboard.press("Escape")
    expect(launcher).to_be_focused()
    expect(launcher).to_have_attribute("aria-expanded", "false")


def test_on_a_phone_the_widget_is_full_screen(phone: BrowserContext, coach: Coach, site: HostSite) -> None:
    page = phone.new_page()
    page.goto(site.put("/phone.html", host_page(coach, title="Phone page")))
    page.get_by_role("button", name=LAUNCHER).tap()
    iframe = page.locator("iframe[title^='Chat with']")
    expect(iframe).to_be_visible()
    box = iframe.bounding_box()
    assert box is not None and box["width"] == 390 and box["height"] >= 800, box
    frame = chat(page)
    size = frame.get_by_role("textbox", name=re.compile("^Message to")).evaluate("e => getComputedStyle(e).fontSize")
    assert size == "16px"  # no zoom on focus in mobile Safari
    frame.get_by_role("button", name="Close chat").tap()
    expect(iframe).to_be_hidden()
    expect(page.get_by_role("button", name=LAUNCHER)).to_be_visible()
