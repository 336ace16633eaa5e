"""Tenant isolation across two browser contexts, what a viewer is (not) offered, and the Team flow."""

from __future__ import annotations

import re
import uuid

import httpx
from playwright.sync_api import BrowserContext, Page, expect

from e2e.conftest import Creator, Servers, mail_link, new_creator, register, shot, sign_in, token_for, token_in

AUTH = "Authorization"


def upload_via_api(api: httpx.Client, token: str, title: str, text: str) -> str:
    r = api.post(
        "/api/v1/knowledge/documents",
        headers={AUTH: f"Bearer {token}"},
        files={"file": (f"{title}.txt", text.encode(), "text/plain")},
        data={"title": title, "tags": "private"},
    )
    assert r.status_code in {200, 201, 202}, r.text
    return str(r.json()["id"])


def invite_via_api(api: httpx.Client, token: str, email: str, role: str) -> str:
    """Invite `email`; the token from the link in the mail the invitee received."""
    r = api.post("/api/v1/team/invitations", headers={AUTH: f"Bearer {token}"}, json={"email": email, "role": role})
    assert r.status_code == 201, r.text
    return token_in(mail_link(email, "/accept-invitation"))


def test_two_creators_never_see_each_other(
    page: Page, second_context: BrowserContext, api: httpx.Client, servers: Servers
) -> None:
    alice, bob = new_creator("alice"), new_creator("bob")
    register(api, alice)
    register(api, bob)
    alice_token = token_for(api, alice)
    secret = f"Alice private notes {uuid.uuid4().hex[:6]}"
    doc_id = upload_via_api(api, alice_token, secret, "Courage is knowing what not to fear. " * 20)
    invited = f"friend-of-alice-{uuid.uuid4().hex[:6]}@example.com"
    invite_via_api(api, alice_token, invited, "editor")

    # Alice sees her own data.
    sign_in(page, alice)
    expect(page.get_by_role("heading", level=1)).to_have_text("Home")
    page.goto("/knowledge")
    expect(page.get_by_text(secret)).to_be_visible()
    page.goto(f"/knowledge/{doc_id}")
    expect(page.get_by_role("heading", name=secret)).to_be_visible()
    page.goto("/team")
    expect(page.get_by_text(invited)).to_be_visible()

    # Bob, in another browser context, pastes Alice's URLs and sees only his own workspace.
    bob_page = second_context.new_page()
    sign_in(bob_page, bob)
    expect(bob_page.get_by_role("heading", level=1)).to_have_text("Home")
    expect(bob_page.get_by_text(f"{bob.workspace} · owner")).to_be_visible()
    bob_page.goto(f"/knowledge/{doc_id}")
    expect(bob_page.get_by_text("Document not found")).to_be_visible()
    expect(bob_page.get_by_text(secret)).to_have_count(0)
    bob_page.goto("/knowledge")
    expect(bob_page.get_by_role("heading", level=1)).to_have_text("Knowledge")
    expect(bob_page.get_by_role("heading", name="No documents yet")).to_be_visible()
    expect(bob_page.get_by_text(secret)).to_have_count(0)
    bob_page.goto("/team")
    expect(bob_page.get_by_role("listitem").filter(has_text=bob.email)).to_have_count(1)
    expect(bob_page.get_by_role("listitem").filter(has_text="joined")).to_have_count(1)
    expect(bob_page.get_by_text(invited)).to_have_count(0)
    expect(bob_page.get_by_text(alice.email)).to_have_count(0)
    bob_page.goto("/settings")
    expect(bob_page.get_by_label("Workspace name")).to_have_value(bob.workspace)
    shot(bob_page, "isolation-bob-settings")
    # Alice's browser is still Alice's.
    page.goto("/settings")
    expect(page.get_by_label("Workspace name")).to_have_value(alice.workspace)


def test_viewer_is_not_offered_invite_upload_or_delete(page: Page, api: httpx.Client, servers: Servers) -> None:
    owner = new_creator("owner")
    register(api, owner)
    owner_token = token_for(api, owner)
    upload_via_api(api, owner_token, "Owner handbook", "Discipline is choosing between what you want now and most.")
    viewer = Creator(f"viewer-{uuid.uuid4().hex[:8]}@example.com", "Vera Viewer", owner.workspace)
    invite = invite_via_api(api, owner_token, viewer.email, "viewer")
    r = api.post(
        "/api/v1/auth/accept-invitation", json={"token": invite, "password": viewer.password, "full_name": viewer.name}
    )
    assert r.status_code in {200, 201}, r.text

    sign_in(page, viewer)
    expect(page.get_by_text(f"{owner.workspace} · viewer")).to_be_visible()
    # The checklist offers a viewer no step it may not do.
    expect(page.get_by_text("Done by an editor")).to_be_visible()
    expect(page.get_by_role("link", name="Review", exact=True)).to_have_count(0)
    expect(page.get_by_role("link", name="Invite", exact=True)).to_have_count(0)
    page.goto("/team")
    expect(page.get_by_role("listitem").filter(has_text="joined")).to_have_count(2)
    expect(page.get_by_text("Only owners and admins can invite people or change roles.")).to_be_visible()
    expect(page.get_by_role("button", name="Send invitation")).to_have_count(0)
    expect(page.get_by_role("button", name=re.compile("^Remove "))).to_have_count(0)
    expect(page.get_by_role("combobox", name=re.compile("^Role of "))).to_have_count(0)
    shot(page, "team-viewer")
    page.goto("/knowledge")
    expect(page.get_by_text("Owner handbook")).to_be_visible()
    expect(page.get_by_label("Files to add to your knowledge")).to_have_count(0)
    expect(page.get_by_role("button", name="Delete document")).to_have_count(0)
    page.goto("/settings")
    expect(page.get_by_role("main")).to_contain_text(owner.workspace)
    expect(page.get_by_label("Workspace name")).to_have_count(0)


def test_owner_invites_changes_role_and_removes(page: Page, api: httpx.Client, servers: Servers) -> None:
    owner = new_creator("lead")
    register(api, owner)
    sign_in(page, owner)
    expect(page.get_by_role("heading", level=1)).to_have_text("Home")
    page.goto("/team")
    email = f"colleague-{uuid.uuid4().hex[:6]}@example.com"
    page.get_by_label("Email address").fill(email)
    page.get_by_role("button", name="Send invitation").click()
    expect(page.get_by_role("main")).to_contain_text(f"Invitation emailed to {email}")
    expect(page.get_by_role("button", name=f"Revoke the invitation of {email}")).to_be_visible()
    shot(page, "team")

    # The colleague follows the one-time link from the invitation mail in their own browser session.
    url = mail_link(email, "/accept-invitation")
    context = page.context.browser.new_context(base_url=servers.hub_url)  # type: ignore[union-attr]
    other = context.new_page()
    other.goto(url)
    expect(other.get_by_role("main")).to_contain_text(f"invited {email} to join {owner.workspace} as editor")
    other.get_by_label("Your name").fill("Cole League")
    other.get_by_label("Choose a password").fill("Another-good-password")
    other.get_by_label("Password again").fill("Another-good-password")
    other.get_by_role("button", name="Create account and join").click()
    expect(other.get_by_text(f"{owner.workspace} · editor")).to_be_visible()
    context.close()

    # The checklist ticks "invite a colleague" by itself.
    page.goto("/")
    expect(page.get_by_test_id("step-team")).to_have_attribute("data-done", "true")

    # The owner sees the new member, promotes them, then removes them after confirming.
    page.goto("/team")
    expect(page.get_by_role("listitem").filter(has_text="joined")).to_have_count(2)
    page.get_by_role("combobox", name="Role of Cole League").click()
    page.get_by_role("option", name="admin").click()
    expect(page.get_by_text("Role updated.")).to_be_visible()
    page.get_by_role("button", name="Remove Cole League").click()
    page.get_by_role("alertdialog").get_by_role("button", name="Remove").click()
    expect(page.get_by_role("listitem").filter(has_text="joined")).to_have_count(1)
    expect(page.get_by_text(re.compile("was removed"))).to_be_visible()
