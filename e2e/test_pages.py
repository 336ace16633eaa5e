"""Every page of the hub, as a person sees it at 1366, 768 and 390 px, in light and dark: a screenshot of each
into e2e/screenshots/, and axe-core finds no serious or critical violation; each page has its landmarks.

One signed-in browser context is shared by the signed-in pages (one sign-in for the whole sweep)."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from e2e import a11y
from e2e.conftest import Creator, new_creator, register, shot, sign_in, token_for
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
    """A workspace with something on every page: a document, an approved persona, a program, a conversation."""
    creator = new_creator("showcase")
    with httpx.Client(base_url=servers.api_url, timeout=60) as api:
        register(api, creator)
        headers = {"Authorization": f"Bearer {token_for(api, creator)}"}
        r = api.post("/api/v1/knowledge/documents", headers=headers,
                      files={"file": ("on_anger_and_time.md", NOTES.encode(), "text/markdown")})  # fmt: skip
        doc_id = str(r.json()["id"])
        r = api.post("/api/v1/programs/import", headers=headers, json={"template": "stoic-morning"})
        program_id = str(r.json()["id"])
        _wait_indexed(api, headers, doc_id)
        card = "I speak plainly and briefly, as a Stoic teacher would: patience first, then action."
        api.put("/api/v1/twin/persona", headers=headers, json={"card": card, "approve": True})
        r = api.post("/api/v1/chat", headers=headers, json={"message": "What is the best remedy for anger?"})
        conversation_id = str(r.json()["conversation_id"])
    return {"creator": creator, "doc": doc_id, "program": program_id, "conversation": conversation_id}


@pytest.fixture(scope="module")
def signed_in(browser: Browser, browser_context_args: dict[str, Any], showcase: dict[str, Any]) -> Iterator[Page]:
    context: BrowserContext = browser.new_context(**browser_context_args)
    page = context.new_page()
    creator: Creator = showcase["creator"]
    sign_in(page, creator)
    expect(page.get_by_test_id("page-title")).to_have_text("Home")
    yield page
    context.close()


@pytest.fixture(scope="module")
def signed_out(browser: Browser, browser_context_args: dict[str, Any]) -> Iterator[Page]:
    context = browser.new_context(**browser_context_args)
    yield context.new_page()
    context.close()


def sweep(page: Page, path: str, name: str) -> None:
    """Open `path` in each theme, wait until it has loaded, then shoot and check it at each width."""
    problems: list[str] = []
    for theme in THEMES:
        page.set_viewport_size({"width": WIDTHS[0], "height": 900})
        page.emulate_media(color_scheme=theme)  # the hub follows the system theme until a person picks one
        page.goto(path)
        expect(page.locator("html")).to_have_class(re.compile(rf"\b{theme}\b"))
        expect(page.locator("main")).to_be_visible()
        expect(page.get_by_test_id("loading")).to_have_count(0)
        problems += [f"{name} {theme}: {p}" for p in a11y.landmarks(page)]
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 900 if width > 400 else 844})
            shot(page, f"{name}-{width}-{theme}")
            found = a11y.violations(page)
            if found:
                problems.append(a11y.describe(f"{name} {width}px {theme}", found))
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
    ("team", "/team"),
    ("settings", "/settings"),
]
SIGNED_OUT = [
    ("login", "/login"),
    ("signup", "/signup"),
    ("accept-invitation", "/accept-invitation?token=not-a-real-token"),
]


@pytest.mark.parametrize(("name", "path"), SIGNED_IN, ids=[n for n, _ in SIGNED_IN])
def test_signed_in_page(signed_in: Page, showcase: dict[str, Any], name: str, path: str) -> None:
    sweep(signed_in, path.format(**showcase), name)


@pytest.mark.parametrize(("name", "path"), SIGNED_OUT, ids=[n for n, _ in SIGNED_OUT])
def test_signed_out_page(signed_out: Page, name: str, path: str) -> None:
    sweep(signed_out, path, name)
