"""The email flows in the hub, with the mail read from the loopback SMTP server: forgot password and reset
(one-time link, same answer for any address), and invitations accepted signed in, after signing in, or with
a new account. Controls are found by label and role."""

from __future__ import annotations

import re
import uuid
from urllib.parse import urlsplit

import httpx
from playwright.sync_api import Browser, Page, expect

from e2e.conftest import Creator, Servers, mail_link, new_creator, register, token_for

NEW_PASSWORD = "Fresh-start-2026"


def _path(link: str) -> str:
    """The hub path of a mailed link (the mail names the hub's public address)."""
    parts = urlsplit(link)
    return f"{parts.path}?{parts.query}"


def _sign_in_here(page: Page, email: str, password: str) -> None:
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in").click()


def _home(page: Page) -> None:
    expect(page.get_by_role("heading", name="Home", level=1)).to_be_visible()


def test_forgot_password_resets_once_with_the_emailed_link(page: Page, api: httpx.Client, servers: Servers) -> None:
    creator = new_creator("forgetful")
    register(api, creator)
    page.goto("/login")
    page.get_by_role("link", name="Forgot password?").click()
    expect(page).to_have_url(re.compile(r"/forgot-password$"))

    # An unknown address gets the very same answer as a known one (nobody learns who has an account).
    stranger = f"nobody-{uuid.uuid4().hex[:6]}@example.com"
    page.get_by_label("Email").fill(stranger)
    page.get_by_role("button", name="Email me a link").click()
    unknown_answer = page.get_by_role("status")
    expect(unknown_answer).to_contain_text(f"If an account uses {stranger}, a link")
    unknown_text = unknown_answer.inner_text().replace(stranger, "X")
    # No dev mailbox pointer: this API sends over SMTP.
    expect(page.get_by_role("link", name="dev mailbox")).to_have_count(0)
    # The account's owner asks in a tab of their own (this tab's hub state still holds the first answer, and
    # the page's on-load reset could land after the typing).
    page = page.context.new_page()
    page.goto("/forgot-password")
    page.get_by_label("Email").fill(creator.email)
    page.get_by_role("button", name="Email me a link").click()
    expect(page.get_by_role("status")).to_contain_text(creator.email)
    assert page.get_by_role("status").inner_text().replace(creator.email, "X") == unknown_text

    link = _path(mail_link(creator.email, "/reset-password"))
    page.goto(link)
    expect(page.get_by_role("heading", name="Choose a new password")).to_be_visible()
    rules = page.get_by_role("list", name="Password rules")
    expect(rules).to_contain_text("At least 10 characters (not yet)")
    # Two different passwords, then one the policy refuses: readable, and the link still works.
    page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    expect(rules).to_contain_text("At least 10 characters (met)")
    page.get_by_label("New password again").fill(NEW_PASSWORD + "x")
    page.get_by_role("button", name="Set new password").click()
    expect(page.get_by_role("alert")).to_contain_text("The two passwords differ")
    page.get_by_label("New password", exact=True).fill("weakweakweak")
    page.get_by_label("New password again").fill("weakweakweak")
    page.get_by_role("button", name="Set new password").click()
    expect(page.get_by_role("alert")).to_contain_text("Password must mix")
    page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("New password again").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Set new password").click()
    expect(page.get_by_role("status")).to_contain_text("Your password was changed")

    # The old password no longer works; the new one does.
    assert (
        api.post("/api/v1/auth/login", json={"email": creator.email, "password": creator.password}).status_code == 401
    )
    page.get_by_role("link", name="Sign in", exact=True).click()
    expect(page).to_have_url(re.compile(r"/login$"))
    _sign_in_here(page, creator.email, NEW_PASSWORD)
    _home(page)

    # The link worked once: opened again it says so and offers a new one.
    page.get_by_role("button", name="Sign out").click()
    page.goto(link)
    page.get_by_label("New password", exact=True).fill("Another-start-2026")
    page.get_by_label("New password again").fill("Another-start-2026")
    page.get_by_role("button", name="Set new password").click()
    expect(page.get_by_role("alert")).to_contain_text("already used")
    page.get_by_role("link", name="Ask for a new link").click()
    expect(page).to_have_url(re.compile(r"/forgot-password$"))

    # A forged link and a link cut short are explained too.
    page.goto("/reset-password?token=forged-token")
    page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("New password again").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Set new password").click()
    expect(page.get_by_role("alert")).to_contain_text("not valid")
    page.goto("/reset-password")
    expect(page.get_by_role("alert")).to_contain_text("incomplete")
    expect(page.get_by_role("link", name="Ask for a new link")).to_be_visible()


def _invite(api: httpx.Client, owner: Creator, email: str, role: str) -> str:
    headers = {"Authorization": f"Bearer {token_for(api, owner)}"}
    r = api.post("/api/v1/team/invitations", headers=headers, json={"email": email, "role": role})
    assert r.status_code == 201, r.text
    return _path(mail_link(email, "/accept-invitation"))


def test_invitations_say_what_they_are_for_and_sign_the_person_in(
    page: Page, browser: Browser, api: httpx.Client, servers: Servers
) -> None:
    owner, member, stranger = new_creator("host"), new_creator("guest"), new_creator("stranger")
    for person in (owner, member, stranger):
        register(api, person)

    # Signed in as the invited address: the page names the workspace and the role, one click joins.
    link = _invite(api, owner, member.email, "editor")
    page.goto("/login")
    _sign_in_here(page, member.email, member.password)
    _home(page)
    page.goto(link)
    expect(page.get_by_role("main")).to_contain_text(f"invited {member.email} to join {owner.workspace} as editor")
    page.get_by_role("button", name=f"Join {owner.workspace}").click()
    _home(page)
    expect(page.get_by_text(f"{owner.workspace} · editor")).to_be_visible()
    # Used: the link now explains itself.
    page.goto(link)
    expect(page.get_by_role("alert")).to_contain_text("not found or already used")

    # Signed in as someone else: told so, and led to sign in as the invited address and back here.
    second = _invite(api, owner, stranger.email, "viewer")
    page.goto(second)
    expect(page.get_by_role("main")).to_contain_text(f"but this invitation is for {stranger.email}")
    page.get_by_role("button", name=f"Sign out and sign in as {stranger.email}").click()
    expect(page).to_have_url(re.compile(r"/login\?next="))
    _sign_in_here(page, stranger.email, stranger.password)
    expect(page).to_have_url(re.compile(r"/accept-invitation/?\?token="))
    page.get_by_role("button", name=f"Join {owner.workspace}").click()
    _home(page)
    expect(page.get_by_text(f"{owner.workspace} · viewer")).to_be_visible()


def test_a_new_address_makes_its_account_on_the_invitation_page(
    browser: Browser, api: httpx.Client, servers: Servers
) -> None:
    owner = new_creator("inviter")
    register(api, owner)
    newcomer = f"newcomer-{uuid.uuid4().hex[:6]}@example.com"
    link = _invite(api, owner, newcomer, "editor")
    context = browser.new_context(base_url=servers.hub_url)
    try:
        page = context.new_page()
        page.goto(link)
        expect(page.get_by_role("main")).to_contain_text(f"Your email is {newcomer}")
        page.get_by_label("Your name").fill("New Comer")
        page.get_by_label("Choose a password").fill(NEW_PASSWORD)
        page.get_by_label("Password again").fill(NEW_PASSWORD)
        page.get_by_role("button", name="Create account and join").click()
        _home(page)
        expect(page.get_by_text(f"{owner.workspace} · editor")).to_be_visible()
    finally:
        context.close()

    # An address that already has an account is asked to sign in and comes back to accept.
    existing = new_creator("already")
    register(api, existing)
    link = _invite(api, owner, existing.email, "viewer")
    context = browser.new_context(base_url=servers.hub_url)
    try:
        page = context.new_page()
        page.goto(link)
        expect(page.get_by_role("main")).to_contain_text("already has an account")
        expect(page.get_by_label("Choose a password")).to_have_count(0)
        page.get_by_role("link", name="Sign in to accept").click()
        _sign_in_here(page, existing.email, existing.password)
        page.get_by_role("button", name=f"Join {owner.workspace}").click()
        _home(page)
        expect(page.get_by_text(f"{owner.workspace} · viewer")).to_be_visible()
    finally:
        context.close()
