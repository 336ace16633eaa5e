"""What the widget suites share: a creator's workspace ready for the widget (knowledge indexed, allowed
origins set, an identity secret made), the host pages (a creator's site on another origin) that embed it,
the visitor's moves in the browser and the creator's through the API."""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import re
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, FrameLocator, Page, expect

from e2e.conftest import Servers, new_creator, register, token_for
from e2e.hostpages import HostSite, host_site

NOTES = b"""# On anger

Anger is a brief madness. When anger rises, wait: delay is the best remedy for anger. Count to ten
before you answer, and the heat of the moment passes.

# On time

Life is long if you know how to use it. Guard your hours as you would guard your money, and
spend them on what you value most.
"""


@dataclass
class Coach:
    api: str
    token: str
    key: str
    secret: str
    full_name: str
    workspace: str
    email: str = ""
    password: str = ""

    @property
    def headers(self) -> dict[str, str]:
        return {"authorization": f"Bearer {self.token}"}

    def identity_hash(self, external_id: str) -> str:
        return hmac.new(self.secret.encode(), external_id.encode(), hashlib.sha256).hexdigest()

    def snippet(self) -> str:
        return f'<script src="{self.api}/widget.js" data-key="{self.key}" async></script>'


def make_coach(api: httpx.Client, allowed: list[str], workspace_name: str | None = None) -> Coach:
    """A new creator with the sample notes indexed and the widget allowed on `allowed` origins."""
    creator = new_creator("coach")
    if workspace_name:
        creator.workspace = workspace_name
    register(api, creator)
    token = token_for(api, creator)
    headers = {"authorization": f"Bearer {token}"}
    r = api.post("/api/v1/knowledge/documents", headers=headers, files={"file": ("stoic_notes.md", NOTES)}, data={})
    assert r.status_code in (201, 202), r.text
    doc_id = r.json()["id"]
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        status = api.get(f"/api/v1/knowledge/documents/{doc_id}", headers=headers).json()["status"]
        if status in ("ready", "failed"):
            break
        time.sleep(0.3)
    assert status == "ready", status
    r = api.put("/api/v1/channels/web", headers=headers, json={"allowed_origins": allowed,
                "starter_prompts": ["What is the best remedy for anger?", "How should I use my time?"],
                "welcome_message": "Welcome! Ask me about anger or time."})  # fmt: skip
    assert r.status_code == 200, r.text
    key = r.json()["public_key"]
    r = api.post("/api/v1/channels/web/identity-secret", headers=headers)
    assert r.status_code == 200, r.text
    return Coach(api=str(api.base_url).rstrip("/"), token=token, key=key, secret=r.json()["identity_secret"],
                 full_name=creator.name, workspace=creator.workspace, email=creator.email,
                 password=creator.password)  # fmt: skip


def host_page(coach: Coach, title: str = "Acme Stoic Club", before: str = "") -> str:
    """A creator's site: its own content, then (optionally) settings and the snippet."""
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>{title}</title>
<style>body {{ font-family: serif; color: #222; background: #fafafa; }} button {{ all: unset; }}</style>
</head><body><main><h1>{title}</h1><p>Our club's pages. The coach's twin is in the corner.</p></main>
<script>window.__events = [];
for (const n of ["ready", "open", "close", "message", "error"])
  window.addEventListener("coachtwin:" + n, (e) => window.__events.push([n, e.detail || null]));</script>
{before}
{coach.snippet()}
</body></html>"""


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


# ---- fixtures shared by the widget suites (imported by each test module: a coach per module) ----


@pytest.fixture(scope="module")
def site() -> Iterator[HostSite]:
    """The creator's site: a static page server on its own loopback port, so another origin than the API."""
    with host_site() as s:
        yield s


@pytest.fixture(scope="module")
def coach(servers: Servers, site: HostSite) -> Coach:
    """A workspace whose name holds markup (the twin's name, shown as typed), allowing only `site`."""
    with httpx.Client(base_url=servers.api_url, timeout=60) as api:
        return make_coach(api, [site.origin], workspace_name=f"Stoa <i>Studio</i> {unique('w')}")


def watch(context: BrowserContext) -> BrowserContext:
    """Print what the pages and frames of `context` log as errors (pytest shows it when a test fails)."""

    def page_opened(page: Page) -> None:
        page.on("console", lambda m: print(f"[console {m.type}] {m.location.get('url', '')}: {m.text}"))
        page.on("pageerror", lambda e: print(f"[page error] {e}"))
        page.on("requestfailed", lambda r: print(f"[request failed] {r.url}: {r.failure}"))
        page.on("websocket", lambda ws: ws.on("framereceived", lambda f: print(f"[socket] {str(f)[:160]}")))
        page.on("websocket", lambda ws: ws.on("close", lambda _: print("[socket closed]")))

    context.on("page", page_opened)
    return context


@pytest.fixture
def visitor(browser: Browser) -> Iterator[BrowserContext]:
    """A fresh visitor (their own storage), at a laptop's size."""
    context = watch(browser.new_context(viewport={"width": 1366, "height": 768}))
    yield context
    context.close()


@pytest.fixture
def phone(browser: Browser) -> Iterator[BrowserContext]:
    """A visitor on a phone: 390 px wide, touch."""
    context = watch(
        browser.new_context(
            viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True, has_touch=True
        )
    )
    yield context
    context.close()


# ---- the widget as a visitor uses it ----

LAUNCHER = re.compile(r"^Chat: ")
DONE = "#log .msg--twin:not(.is-streaming)"  # the twin's replies, each complete (not still streaming in)


def chat(page: Page) -> FrameLocator:
    return page.frame_locator("iframe[title^='Chat with']")


def open_widget(page: Page) -> FrameLocator:
    launcher = page.get_by_role("button", name=LAUNCHER)
    expect(launcher).to_be_visible()
    launcher.click()
    frame = chat(page)
    expect(frame.get_by_role("textbox", name=re.compile("^Message to"))).to_be_visible()
    return frame


def ask(frame: FrameLocator, text: str) -> None:
    box = frame.get_by_role("textbox", name=re.compile("^Message to"))
    box.fill(text)
    box.press("Enter")


def a_member(context: BrowserContext, site: HostSite, coach: Coach, title: str) -> tuple[Page, FrameLocator, str]:
    """A visitor on a page of the site who has asked one question and had the twin's answer: a member now."""
    page = context.new_page()
    page.goto(site.put(f"/{unique('page')}.html", host_page(coach, title=title)))
    frame = open_widget(page)
    ask(frame, "How should I use my time?")
    try:
        expect(frame.locator(DONE)).to_have_count(1, timeout=30_000)
    except AssertionError:
        print("[chat]", frame.locator("body").inner_text(), "[events]", events(page), "[stored]", stored(page, coach))
        raise
    return page, frame, str(stored(page, coach)["m"])


def stored(page: Page, coach: Coach) -> dict[str, Any]:
    """What the loader keeps on the host site's storage for this widget (empty before any interaction)."""
    raw = page.evaluate("(k) => localStorage.getItem('coachtwin:' + k)", coach.key)
    return json.loads(raw) if raw else {}


def events(page: Page) -> list[Any]:
    found: list[Any] = page.evaluate("() => window.__events")
    return found


# ---- the creator's side, through the API ----


def program(*steps: tuple[str, str, dict[str, Any]]) -> dict[str, Any]:
    """A linear program graph: start -> each (id, type, data) step in order -> end."""
    chain = [("start", "start", {}), *steps, ("end", "end", {})]
    nodes = [{"id": i, "type": t, "position": {"x": 0, "y": 100 * n}, "data": d} for n, (i, t, d) in enumerate(chain)]
    edges = [{"id": f"e{n}", "source": a[0], "target": b[0]} for n, (a, b) in enumerate(itertools.pairwise(chain))]
    return {"nodes": nodes, "edges": edges}


def staff(coach: Coach) -> httpx.Client:
    return httpx.Client(base_url=coach.api, timeout=30, headers=coach.headers)


def enroll(coach: Coach, member_id: str, name: str, graph: dict[str, Any]) -> None:
    """Publish `graph` as a program and enroll the member in it."""
    with staff(coach) as api:
        r = api.post("/api/v1/programs", json={"name": name, "graph": graph})
        assert r.status_code == 201, r.text
        pid = r.json()["id"]
        assert api.post(f"/api/v1/programs/{pid}/publish").status_code == 201
        r = api.post(f"/api/v1/programs/{pid}/enrollments", json={"member_id": member_id})
        assert r.status_code == 201, r.text


def conversation_of(api: httpx.Client, member_id: str) -> str:
    return str(next(c["id"] for c in api.get("/api/v1/conversations").json() if c.get("member_id") == member_id))


def creator_does(api: httpx.Client, conversation_id: str, action: str, text: str | None = None) -> None:
    """`takeover`, `release`, or `messages` (a reply as the creator) on a member's conversation."""
    body = {"text": text} if text is not None else None
    r = api.post(f"/api/v1/conversations/{conversation_id}/{action}", json=body)
    assert r.status_code in (200, 201), r.text
