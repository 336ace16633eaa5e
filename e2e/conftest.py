"""Playwright suites of the creator hub: the API and the hub start once per session (e2e/servers.py).

Chromium is Debian's, at /usr/bin/chromium. Set E2E_HUB_URL and E2E_API_URL to run the suites against
servers you started yourself. Screenshots of each page land in e2e/screenshots/ (git-ignored; CI keeps the folder).
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from e2e.servers import ROOT, SHOTS, Servers, running_servers

__all__ = ["ROOT", "Servers"]

CHROMIUM = os.environ.get("E2E_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
PASSWORD = "correct-horse-battery"

expect.set_options(timeout=15_000)


_STARTED: list[Servers] = []


@pytest.fixture(scope="session")
def servers() -> Iterator[Servers]:
    with running_servers() as started:
        _STARTED.append(started)
        yield started
        _STARTED.clear()


def mail_link(email: str, path: str, count: int = 1) -> str:
    """The link to `path` in the `count`-th mail to `email`: from the loopback SMTP server the API sends to,
    or, for servers started by hand on embedded defaults (APP_ENV=dev, no SMTP_URL), their dev mailbox."""
    started = _STARTED[-1]
    if started.mail is not None:
        return started.mail.wait(email, count=count, match=lambda m: any(path in link for link in m.links)).link(path)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        found = httpx.get(f"{started.api_url}/api/v1/dev/mailbox", params={"to": email}, timeout=10).json()
        links = [link for m in reversed(found) for link in m["links"] if path in link]
        if len(links) >= count:
            return str(links[count - 1])
        time.sleep(0.2)
    raise AssertionError(f"no mail with a {path} link reached {email}")


def token_in(link: str) -> str:
    return parse_qs(urlsplit(link).query)["token"][0]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict[str, Any], servers: Servers) -> dict[str, Any]:
    return {**browser_context_args, "base_url": servers.hub_url, "viewport": {"width": 1280, "height": 860}}


@pytest.fixture
def api(servers: Servers) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=servers.api_url, timeout=30) as client:
        yield client


@dataclass
class Creator:
    email: str
    name: str
    workspace: str
    password: str = PASSWORD


def new_creator(prefix: str = "creator") -> Creator:
    tag = uuid.uuid4().hex[:8]
    return Creator(f"{prefix}-{tag}@example.com", f"{prefix.title()} {tag}", f"{prefix.title()} Studio {tag}")


def register(api: httpx.Client, creator: Creator) -> dict[str, Any]:
    """Sign up as a person does: register, then open the emailed confirmation link (through the API)."""
    r = api.post(
        "/api/v1/auth/register",
        json={"email": creator.email, "password": creator.password, "full_name": creator.name,
              "workspace_name": creator.workspace},
    )  # fmt: skip
    assert r.status_code == 202, r.text
    r = api.post("/api/v1/auth/verify-email", json={"token": token_in(mail_link(creator.email, "/verify-email"))})
    assert r.status_code == 201, r.text
    return dict(r.json())


def token_for(api: httpx.Client, creator: Creator) -> str:
    r = api.post("/api/v1/auth/login", json={"email": creator.email, "password": creator.password})
    assert r.status_code == 200, r.text
    return str(r.json()["access_token"])


def sign_in(page: Page, creator: Creator, path: str = "/login") -> None:
    page.goto(path)
    page.get_by_label("Email").fill(creator.email)
    page.get_by_label("Password", exact=True).fill(creator.password)
    page.get_by_role("button", name="Sign in").click()


def sign_up(page: Page, creator: Creator) -> None:
    page.goto("/signup")
    page.get_by_label("Your name").fill(creator.name)
    page.get_by_label("Email").fill(creator.email)
    page.get_by_label("Password", exact=True).fill(creator.password)
    page.get_by_label("Workspace name (optional)").fill(creator.workspace)
    page.get_by_role("button", name="Create workspace").click()
    expect(page.get_by_text("Check your inbox")).to_be_visible()
    # The person opens the link from the confirmation mail in the same browser.
    link = mail_link(creator.email, "/verify-email")
    parts = urlsplit(link)
    page.goto(f"{parts.path}?{parts.query}")


def shot(page: Page, name: str) -> None:
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


@pytest.fixture
def second_context(browser: Browser, browser_context_args: dict[str, Any]) -> Iterator[BrowserContext]:
    context = browser.new_context(**browser_context_args)
    yield context
    context.close()
