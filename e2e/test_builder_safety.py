"""Programs that cannot run away (issue 20): a loop a member who never answers would travel for ever is
warned about before publishing, a one-click silent-member run shows it, problems follow every edit and name
steps by title, and leaving with unsaved changes asks first."""

from __future__ import annotations

import re

import httpx
from playwright.sync_api import Dialog, Page, expect

from e2e.conftest import Servers, new_creator, register, sign_in, token_for
from e2e.test_programs import drop, node
from tests.programs.test_graph import silent_loop


def test_runaway_loop_is_warned_and_shown_by_a_silent_member(page: Page, api: httpx.Client, servers: Servers) -> None:
    creator = new_creator("coach")
    register(api, creator)
    headers = {"Authorization": f"Bearer {token_for(api, creator)}"}
    r = api.post(
        "/api/v1/programs/", headers=headers, json={"name": "Daily nudge", "graph": silent_loop(counted=False)}
    )
    assert r.status_code == 201, r.text
    sign_in(page, creator)
    expect(page.get_by_role("heading", level=1)).to_have_text("Home")
    page.goto(f"/programs/{r.json()['id']}")
    warning = page.get_by_test_id("program-warning")
    expect(warning).to_have_count(1)
    expect(warning).to_contain_text("never answers")
    expect(warning).to_contain_text("'Done?'")  # the check-in, by what it asks
    expect(page.locator(".react-flow__node.ct-warned")).to_have_count(3)

    page.get_by_role("radio", name="Simulate").click()
    page.get_by_role("button", name="Try a member who never answers").click()
    expect(page.get_by_test_id("sim-status")).to_have_text("limit")
    expect(page.get_by_test_id("sim-summary")).to_contain_text("still getting messages")

    # Publishing asks first, naming the warning; going back publishes nothing.
    page.get_by_role("button", name="Publish", exact=True).click()
    dialog = page.get_by_role("alertdialog")
    expect(dialog).to_contain_text("Publish with warnings?")
    expect(dialog).to_contain_text("never answers")
    dialog.get_by_role("button", name="Go back and fix").click()
    expect(page.get_by_test_id("program-status")).to_have_text("draft")
    page.get_by_role("button", name="Publish", exact=True).click()
    page.get_by_role("alertdialog").get_by_role("button", name="Publish anyway").click()
    expect(page.get_by_test_id("program-status")).to_have_text("published v1")


def test_stoic_morning_lets_a_silent_member_finish(page: Page, api: httpx.Client, servers: Servers) -> None:
    creator = new_creator("coach")
    register(api, creator)
    sign_in(page, creator)
    expect(page.get_by_role("heading", level=1)).to_have_text("Home")
    page.goto("/programs")
    page.get_by_test_id("use-template-stoic-morning").click()
    expect(page.get_by_test_id("program-name")).to_have_value("Stoic morning")
    expect(page.get_by_test_id("program-warning")).to_have_count(0)
    page.get_by_role("radio", name="Simulate").click()
    page.get_by_role("button", name="Try a member who never answers").click()
    expect(page.get_by_test_id("sim-status")).to_have_text("completed")
    expect(page.get_by_test_id("sim-summary")).to_contain_text("finishes the program")


def test_problems_follow_edits_and_leaving_unsaved_asks(page: Page, api: httpx.Client, servers: Servers) -> None:
    creator = new_creator("coach")
    register(api, creator)
    sign_in(page, creator)
    expect(page.get_by_role("heading", level=1)).to_have_text("Home")
    page.goto("/programs")
    page.get_by_label("Name of the new program").fill("Evening chat")
    page.get_by_role("button", name="Create").click()
    expect(page).to_have_url(re.compile(r"/programs/[0-9a-f-]{36}$"))
    expect(page.get_by_test_id("canvas-node")).to_have_count(2)

    # A new step shows its problems at once, by its title, before any save; deleting it clears them.
    drop(page, "twin", 520, 160)
    expect(node(page, "twin_1")).to_be_visible()
    page.get_by_label("Topic").fill("Evening chat")
    page.get_by_label("Topic").blur()
    issues = page.get_by_test_id("issue")
    page.get_by_role("button", name="Close the step editor").click()
    expect(issues.filter(has_text="Step 'Evening chat' (twin chat) has no next step")).to_have_count(1)
    expect(page.get_by_text("No problems found", exact=False)).to_have_count(0)
    node(page, "twin_1").click()
    page.get_by_test_id("delete-node").click()
    expect(page.get_by_test_id("issue")).to_have_count(0)
    expect(page.get_by_text("No problems found in this draft", exact=False)).to_be_visible()

    # Unsaved changes: leaving asks; staying keeps the work, leaving after saying so goes.
    expect(page.get_by_test_id("dirty")).to_be_visible()
    messages: list[str] = []

    def stay(dialog: Dialog) -> None:
        messages.append(dialog.message)
        dialog.dismiss()

    page.once("dialog", stay)
    with page.expect_event("dialog"):
        page.get_by_role("link", name="All programs").click()
    assert messages and "unsaved changes" in messages[0]
    expect(page).to_have_url(re.compile(r"/programs/[0-9a-f-]{36}$"))
    expect(page.get_by_test_id("canvas-node")).to_have_count(2)
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("link", name="All programs").click()
    expect(page).to_have_url(re.compile(r"/programs/?$"))
