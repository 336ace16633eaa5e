"""Every page of the hub, as a person sees it at 1366, 768 and 390 px, in light and dark: a screenshot of each
into e2e/screenshots/, and axe-core finds no serious or critical violation; each page has its landmarks.

One signed-in browser context is shared by the signed-in pages (one sign-in for the whole sweep)."""

from __future__ import annotations

import re
import secrets
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from e2e import axe
from e2e.conftest import Creator, mail_link, new_creator, register, shot, sign_in, token_for
from e2e.servers import Servers

WIDTHS = (1366, 768, 390)
THEMES = ("light", "dark")
NOTES = (
    "# On anger\n\nAnger is a brief madness. When anger rises, wait: delay is the best remedy for anger. "
    "Nothing is so hard that it cannot be softened by patience.\n\n# On time\n\nLife is long if you know how to "
    "use it. Guard your hours as you would your money, for time is the one thing we cannot buy back.\n"
)


def _wait_indexed(api: httpx.Client, headers: dict[str, str], doc_id: str) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if api.get(f"/api/v1/knowledge/documents/{doc_id}", headers=headers).json()["status"] in {"ready", "failed"}:
            return
        time.sleep(0.5)
    raise AssertionError("the sample document was not indexed in time")


@pytest.fixture(scope="module")
def showcase(servers: Servers) -> dict[str, Any]:
    """A workspace with something on every page: a document, an approved persona, a program, a playground
    conversation and a member's conversation asking for a person (the takeover controls)."""
    creator = new_creator("showcase")
    with httpx.Client(base_url=servers.api_url, timeout=60) as api:
        register(api, creator)
        headers = {"Authorization": f"Bearer {token_for(api, creator)}"}
        r = api.post("/api/v1/knowledge/documents", headers=headers,
                      files={"file": ("on_anger_and_time.md", NOTES.encode(), "text/markdown")})  # fmt: skip
        doc_id = str(r.json()["id"])
        r = api.post("/api/v1/programs/import", headers=headers, json={"template": "stoic-morning"})
        program_id = str(r.json()["id"])
        assert api.post(f"/api/v1/programs/{program_id}/publish", headers=headers).status_code == 201
        _wait_indexed(api, headers, doc_id)
        card = "I speak plainly and briefly, as a Stoic teacher would: patience first, then action."
        api.put("/api/v1/twin/persona", headers=headers, json={"card": card, "approve": True})
        r = api.post("/api/v1/chat", headers=headers, json={"message": "What is the best remedy for anger?"})
        conversation_id = str(r.json()["conversation_id"])
        colleague = {"email": f"colleague-{creator.email}", "role": "editor"}
        assert api.post("/api/v1/team/invitations", headers=headers, json=colleague).status_code == 201
        key = api.get("/api/v1/channels/web", headers=headers).json()["public_key"]
        visitor = {"key": key, "visitor_id": secrets.token_urlsafe(18)}
        member = {"Authorization": f"Bearer {api.post('/api/v1/widget/sessions', json=visitor).json()['token']}"}
        r = api.post("/api/v1/me/handoff", headers=member, json={"reason": "I would like to talk to you"})
        member_conversation = str(r.json()["conversation_id"])
        trigger = {"name": "Quiet for 3 days", "kind": "inactivity", "params": {"days": 3},
                   "action": {"type": "twin_nudge", "topic": "patience"}}  # fmt: skip
        assert api.post("/api/v1/engagement/triggers", headers=headers, json=trigger).status_code == 201
    return {"creator": creator, "doc": doc_id, "program": program_id, "conversation": conversation_id,
            "member_conversation": member_conversation}  # fmt: skip


@pytest.fixture(scope="module")
def signed_in(browser: Browser, browser_context_args: dict[str, Any], showcase: dict[str, Any]) -> Iterator[Page]:
    context: BrowserContext = browser.new_context(**browser_context_args)
    page = context.new_page()
    creator: Creator = showcase["creator"]
    sign_in(page, creator)
    expect(page.get_by_role("heading", level=1)).to_have_text("Home")
    yield page
    context.close()


@pytest.fixture(scope="module")
def signed_out(browser: Browser, browser_context_args: dict[str, Any]) -> Iterator[Page]:
    context = browser.new_context(**browser_context_args)
    yield context.new_page()
    context.close()


def sweep(page: Page, path: str, name: str, then: Callable[[Page], None] | None = None) -> None:
    """Open `path` in each theme, wait until it has loaded (and do `then`, e.g. open a tab), then shoot and check
    it at each width."""
    problems: list[str] = []
    for theme in THEMES:
        page.set_viewport_size({"width": WIDTHS[0], "height": 900})
        page.emulate_media(color_scheme=theme)  # the hub follows the system theme until a person picks one
        page.goto(path)
        expect(page.locator("html")).to_have_class(re.compile(rf"\b{theme}\b"))
        expect(page.locator("main")).to_be_visible()
        expect(page.get_by_test_id("loading")).to_have_count(0)
        if then is not None:
            then(page)
        problems += [f"{name} {theme}: {p}" for p in axe.landmarks(page)]
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 900 if width > 400 else 844})
            shot(page, f"{name}-{width}-{theme}")
            found = axe.violations(page)
            if found:
                problems.append(axe.describe(f"{name} {width}px {theme}", found))
    assert not problems, "\n".join(problems)


SIGNED_IN = [
    ("home", "/"),
    ("knowledge", "/knowledge"),
    ("document", "/knowledge/{doc}"),
    ("persona", "/persona"),
    ("programs", "/programs"),
    ("builder", "/programs/{program}"),
    ("conversations", "/conversations"),
    ("conversation", "/conversations/{conversation}"),
    ("member-conversation", "/conversations/{member_conversation}"),
    ("analytics", "/analytics"),
    ("channels", "/channels"),
    ("engagement", "/engagement"),
    ("team", "/team"),
    ("settings", "/settings"),
]
SIGNED_OUT = [
    ("landing", "/"),
    ("not-found", "/no-such-page"),
    ("login", "/login"),
    ("signup", "/signup"),
    ("accept-invitation", "/accept-invitation?token=not-a-real-token"),
    ("forgot-password", "/forgot-password"),
    ("reset-password", "/reset-password?token=emailed-token"),
    ("reset-password-incomplete", "/reset-password"),
    ("verify-email", "/verify-email?token=not-a-real-token"),
]


@pytest.mark.parametrize(("name", "path"), SIGNED_IN, ids=[n for n, _ in SIGNED_IN])
def test_signed_in_page(signed_in: Page, showcase: dict[str, Any], name: str, path: str) -> None:
    sweep(signed_in, path.format(**showcase), name)


def test_trainer_tab(signed_in: Page) -> None:
    def open_trainer(page: Page) -> None:
        page.get_by_role("tab", name="Trainer").click()
        expect(page.get_by_label("Question").first).to_be_visible()

    sweep(signed_in, "/persona", "trainer", open_trainer)


@pytest.mark.parametrize(("name", "path"), SIGNED_OUT, ids=[n for n, _ in SIGNED_OUT])
def test_signed_out_page(signed_out: Page, name: str, path: str) -> None:
    sweep(signed_out, path, name)


def test_email_pages_in_their_other_states(signed_out: Page, showcase: dict[str, Any]) -> None:
    """The answer after asking for a reset link, and a live invitation (workspace, role, the account form)."""

    def ask(page: Page) -> None:
        page.get_by_label("Email").fill("someone@example.com")
        page.get_by_role("button", name="Email me a link").click()
        expect(page.get_by_role("status")).to_contain_text("If an account uses")

    sweep(signed_out, "/forgot-password", "forgot-password-sent", ask)
    link = urlsplit(mail_link(f"colleague-{showcase['creator'].email}", "/accept-invitation"))
    sweep(
        signed_out,
        f"{link.path}?{link.query}",
        "invitation",
        lambda p: expect(p.get_by_label("Your name")).to_be_visible(),
    )


def test_a_visitor_meets_the_product_and_a_wrong_address_leads_back(signed_out: Page) -> None:
    page = signed_out
    page.set_viewport_size({"width": 1366, "height": 900})
    page.goto("/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("coaching twin")
    page.get_by_role("main").get_by_role("link", name="Create your workspace").click()
    expect(page).to_have_url(re.compile(r"/signup$"))
    page.goto("/no-such-page")
    expect(page.get_by_role("heading", name="This page does not exist")).to_be_visible()
    page.get_by_role("link", name="Go to the start").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("coaching twin")


def test_home_suggests_next_steps_once_set_up(signed_in: Page) -> None:
    page = signed_in
    page.set_viewport_size({"width": 1366, "height": 900})
    page.goto("/")
    expect(page.get_by_test_id("checklist-count")).to_have_text("4 of 4 done")
    steps = page.get_by_test_id("next-steps")
    expect(steps.get_by_role("link", name="Open programs")).to_be_visible()
    expect(steps.get_by_role("link", name="Read conversations")).to_be_visible()


def test_playground_comes_before_the_persona_card_on_a_phone(signed_in: Page) -> None:
    page = signed_in
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/persona")
    message = page.get_by_label("Message your twin")
    card = page.get_by_label("How your twin speaks (the persona card)")
    expect(message).to_be_visible()
    expect(card).to_be_visible()
    above, below = message.bounding_box(), card.bounding_box()
    assert above and below and above["y"] < below["y"], (above, below)
    page.get_by_role("navigation", name="On this page").get_by_role("link", name="Playground").click()
    expect(message).to_be_in_viewport()


def test_dates_read_as_people_say_them_in_the_viewers_time_zone(
    browser: Browser, browser_context_args: dict[str, Any], servers: Servers, showcase: dict[str, Any]
) -> None:
    """Lists show "Today at 2:36 AM" in the browser's own time zone (here India, UTC+5:30), never UTC minutes."""
    creator: Creator = showcase["creator"]
    with httpx.Client(base_url=servers.api_url, timeout=30) as api:
        headers = {"Authorization": f"Bearer {token_for(api, creator)}"}
        created = api.get(f"/api/v1/knowledge/documents/{showcase['doc']}", headers=headers).json()["created_at"]
    local = datetime.fromisoformat(created).astimezone(ZoneInfo("Asia/Kolkata"))
    said = re.compile(rf"(Today|Yesterday) at {local.strftime('%-I:%M %p')}")
    context = browser.new_context(**{**browser_context_args, "timezone_id": "Asia/Kolkata"})
    try:
        page = context.new_page()
        sign_in(page, creator)
        expect(page.get_by_role("heading", level=1)).to_have_text("Home")
        page.goto("/knowledge")
        expect(page.get_by_role("row").filter(has_text="On Anger and Time")).to_contain_text(said)
        page.goto(f"/knowledge/{showcase['doc']}")
        expect(page.get_by_text(re.compile("^added "))).to_contain_text(said)
        page.goto("/programs")
        expect(page.get_by_role("row").filter(has_text="Stoic morning")).to_contain_text(re.compile(r"Today|Yesterday"))
        with httpx.Client(base_url=servers.api_url, timeout=30) as api:
            headers = {"Authorization": f"Bearer {token_for(api, creator)}"}
            program = api.get(f"/api/v1/programs/{showcase['program']}", headers=headers).json()
        published = datetime.fromisoformat(program["versions"][0]["published_at"]).astimezone(ZoneInfo("Asia/Kolkata"))
        page.goto(f"/programs/{showcase['program']}")
        expect(page.get_by_text(re.compile(r"^Versions: "))).to_contain_text(
            re.compile(rf"v1 \((Today|Yesterday) at {published.strftime('%-I:%M %p')}\)")
        )
    finally:
        context.close()
