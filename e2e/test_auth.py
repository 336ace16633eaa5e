"""Sign up, sign in, sign out, readable errors, silent refresh and the way back after a lost session."""

from __future__ import annotations

import re
import time

from playwright.sync_api import Page, expect

from e2e.conftest import Servers, new_creator, register, shot, sign_in, sign_up


def test_sign_up_lands_on_home_with_checklist(page: Page, servers: Servers) -> None:
    creator = new_creator()
    page.goto("/signup")
    shot(page, "signup")
    sign_up(page, creator)
    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Home")
    checklist = page.get_by_test_id("checklist")
    expect(checklist).to_be_visible()
    expect(page.get_by_test_id("checklist-count")).to_contain_text("of 4 done")
    for step in ("step-knowledge", "step-persona", "step-playground", "step-team"):
        expect(page.get_by_test_id(step)).to_have_attribute("data-done", "false")
    expect(page.get_by_test_id("user-name")).to_have_text(creator.name)
    shot(page, "home")


def test_sign_out_and_back_in(page: Page, api, servers: Servers) -> None:  # type: ignore[no-untyped-def]
    creator = new_creator()
    register(api, creator)
    page.goto("/login")
    shot(page, "login")
    # A wrong password gives a sentence, not a stack trace.
    page.get_by_label("Email").fill(creator.email)
    page.get_by_label("Password", exact=True).fill("wrong-password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("Email or password is incorrect")

    sign_in(page, creator)
    expect(page.get_by_role("heading", level=1)).to_have_text("Home")
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/login"))
    # Signed out means signed out: a protected page sends us back to sign in.
    page.goto("/team")
    expect(page).to_have_url(re.compile(r"/login\?next=%2Fteam"))
    sign_in(page, creator, path=page.url)
    expect(page).to_have_url(re.compile(r"/team/?$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Team")


def test_invalid_session_returns_to_sign_in_and_back(page: Page, api, servers: Servers) -> None:  # type: ignore[no-untyped-def]
    creator = new_creator()
    register(api, creator)
    sign_in(page, creator)
    expect(page.get_by_role("heading", level=1)).to_have_text("Home")

    # An expired access token is renewed silently with the refresh token.
    page.evaluate("localStorage.setItem('ct_access_token', 'expired.or.garbage')")
    page.goto("/team")
    expect(page.get_by_role("heading", level=1)).to_have_text("Team")
    expect(page.get_by_test_id("member-row")).to_have_count(1)
    assert page.evaluate("localStorage.getItem('ct_access_token')") != "expired.or.garbage"

    # When both tokens are no good, the hub returns to sign-in, then back to the page.
    page.evaluate("localStorage.setItem('ct_access_token', 'bad'); localStorage.setItem('ct_refresh_token', 'bad')")
    page.goto("/settings")
    expect(page).to_have_url(re.compile(r"/login\?next=%2Fsettings"))
    expect(page.get_by_text("Please sign in to continue where you were.")).to_be_visible()
    shot(page, "session-expired")
    sign_in(page, creator, path=page.url)
    expect(page).to_have_url(re.compile(r"/settings/?$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Settings")


def test_signup_errors_are_readable(page: Page, api, servers: Servers) -> None:  # type: ignore[no-untyped-def]
    creator = new_creator()
    register(api, creator)
    # A taken address is answered like a new one (no enumeration: its owner gets an email instead) ...
    page.goto("/signup")
    page.get_by_label("Your name").fill(creator.name)
    page.get_by_label("Email").fill(creator.email)
    page.get_by_label("Password", exact=True).fill(creator.password)
    page.get_by_role("button", name="Create workspace").click()
    expect(page.get_by_text("Check your inbox")).to_be_visible()
    # ... and a refused password is a readable sentence.
    page.goto("/signup")
    page.get_by_label("Your name").fill(creator.name)
    page.get_by_label("Email").fill(f"other-{creator.email}")
    page.get_by_label("Password", exact=True).fill("weakweakweak")
    expect(page.get_by_role("list", name="Password rules")).to_contain_text("digits or symbols (not yet)")
    page.get_by_role("button", name="Create workspace").click()
    expect(page.get_by_role("alert")).to_be_visible()
    text = page.get_by_role("alert").inner_text()
    assert "Traceback" not in text and "regex" not in text
    expect(page).to_have_url(re.compile(r"/signup"))


def test_time_until_interactive(page: Page, api, servers: Servers) -> None:  # type: ignore[no-untyped-def]
    """Measured figure: from navigation to a usable page (hydrated, its data loaded from the API)."""
    timings = {}
    started = time.monotonic()
    page.goto("/login")
    expect(page.get_by_role("button", name="Sign in")).to_be_enabled()
    timings["/login"] = round(time.monotonic() - started, 3)
    creator = new_creator()
    register(api, creator)
    sign_in(page, creator)
    expect(page.get_by_test_id("checklist")).to_be_visible()
    for path, marker in (("/", "checklist"), ("/team", "member-row"), ("/settings", "health-check")):
        started = time.monotonic()
        page.goto(path)
        expect(page.get_by_test_id(marker).first).to_be_visible()
        timings[path] = round(time.monotonic() - started, 3)
    servers.record("seconds_until_interactive", timings)
