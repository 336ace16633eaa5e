"""The Engagement page: a creator saves a trigger (off) with a labelled field per parameter of its kind, previews
who it would reach now, switches it on, runs an evaluation, and reads the decision log in their own time zone;
edits a saved trigger (its kind, parameters and action) without losing what the editor does not show; every
control named for screen readers (axe: no serious violations)."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from e2e.axe import violations
from e2e.conftest import new_creator, register, shot, sign_in, token_for

ZONES = ["UTC", "Europe/Berlin", "Asia/Tokyo", "America/New_York", "America/Los_Angeles", "Asia/Kolkata",
         "Australia/Sydney", "Pacific/Auckland", "America/Sao_Paulo", "Asia/Dubai"]  # fmt: skip


def daytime_zone() -> str:
    """A zone where it is now between 10:00 and 18:00, so the default quiet hours (21:00-08:00) do not apply."""
    now = datetime.now(UTC)
    return next(z for z in ZONES if 10 <= now.astimezone(ZoneInfo(z)).hour < 18)


VIEWER_ZONE = "Asia/Kolkata"  # UTC+5:30: a time shown in UTC would read half an hour off


@pytest.fixture
def page(browser: Browser, browser_context_args: dict[str, Any]) -> Iterator[Page]:
    """A browser in India, so times the hub shows are the viewer's own, not UTC."""
    context = browser.new_context(**{**browser_context_args, "timezone_id": VIEWER_ZONE})
    yield context.new_page()
    context.close()


def test_save_preview_switch_on_and_read_the_log(page: Page, api: httpx.Client) -> None:
    creator = new_creator("engage")
    register(api, creator)
    staff = {"Authorization": f"Bearer {token_for(api, creator)}"}
    body = {"external_id": f"quinn-{uuid.uuid4().hex[:6]}", "display_name": "Quinn", "timezone": daytime_zone()}
    member = api.post("/api/v1/members", headers=staff, json=body).json()

    sign_in(page, creator)
    page.get_by_role("link", name="Engagement").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Engagement")
    expect(page.get_by_text("No triggers yet")).to_be_visible()
    page.get_by_label("Trigger name").fill("Congratulate runs")
    page.get_by_role("combobox", name="When").click()
    page.get_by_role("option", name="A custom event").click()
    expect(page.get_by_label("Event name")).to_have_value("run_logged")
    expect(page.get_by_label("Days without activity")).to_have_count(0)  # only the chosen kind's fields
    page.get_by_role("combobox", name="Then").click()
    page.get_by_role("option", name="A fixed message").click()
    page.get_by_label("Topic or message").fill("Well run, {{name}}!")
    page.get_by_role("button", name="Save trigger").click()
    expect(page.get_by_test_id("trigger-row")).to_have_count(1)
    switch = page.get_by_role("switch", name="On: Congratulate runs")
    expect(switch).not_to_be_checked()

    # Quinn logs a run; the preview names who would be reached now.
    r = api.post("/api/v1/events", headers=staff, json={"name": "run_logged", "member_id": member["id"]})
    assert r.status_code == 202, r.text
    page.get_by_role("button", name="Preview Congratulate runs").click()
    expect(page.get_by_test_id("preview")).to_contain_text("1 member(s) would receive it now.")

    switch.click()
    expect(switch).to_be_checked()
    # Switching it on wakes the worker; an evaluation on demand does the same (whichever runs first decides).
    ran = api.post("/api/v1/engagement/evaluate", headers=staff)
    assert ran.status_code in (200, 409), ran.text
    for _ in range(40):
        if api.get("/api/v1/engagement/log", headers=staff).json()["decisions"]:
            break
        time.sleep(0.25)
    page.reload()
    expect(page.get_by_test_id("decision-row")).to_have_count(1)
    row = page.get_by_test_id("decision-row")
    expect(row).to_contain_text("Quinn")
    expect(row).to_contain_text("sent")
    decided = datetime.fromisoformat(api.get("/api/v1/engagement/log", headers=staff).json()["decisions"][0]["at"])
    local = decided.astimezone(ZoneInfo(VIEWER_ZONE))
    expect(row).to_contain_text(re.compile(rf"(Today|Yesterday) at {local.strftime('%-I:%M %p')}"))
    page.get_by_role("combobox", name="Outcome").click()
    page.get_by_role("option", name="holdout").click()
    expect(page.get_by_text("No decisions yet.")).to_be_visible()
    assert violations(page) == []
    shot(page, "engagement")


def test_edit_a_trigger_kind_by_kind_keeping_what_the_editor_does_not_show(page: Page, api: httpx.Client) -> None:
    creator = new_creator("engedit")
    register(api, creator)
    staff = {"Authorization": f"Bearer {token_for(api, creator)}"}
    body = {"name": "Quiet members", "kind": "inactivity", "params": {"days": 5}, "enabled": True,
            "action": {"type": "twin_nudge", "topic": "getting back on track"}, "cooldown_hours": 48,
            "quiet_hours": {"start": "22:00", "end": "07:00"}, "max_per_week": 2}  # fmt: skip
    made = api.post("/api/v1/engagement/triggers", headers=staff, json=body)
    assert made.status_code == 201, made.text
    url = f"/api/v1/engagement/triggers/{made.json()['id']}"

    sign_in(page, creator)
    page.get_by_role("link", name="Engagement").first.click()
    page.get_by_role("button", name="Edit Quiet members").click()
    expect(page.get_by_role("heading", name="Edit trigger")).to_be_visible()
    expect(page.get_by_label("Trigger name")).to_have_value("Quiet members")
    expect(page.get_by_role("combobox", name="When")).to_have_text("Quiet for some days")
    expect(page.get_by_label("Days without activity")).to_have_value("5")
    expect(page.get_by_label("Topic or message")).to_have_value("getting back on track")
    assert violations(page) == []
    page.get_by_label("Trigger name").fill("Quiet for a week")
    page.get_by_label("Days without activity").fill("7")
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_text("Trigger “Quiet for a week” updated.")).to_be_visible()
    expect(page.get_by_role("heading", name="New trigger")).to_be_visible()
    saved = api.get(url, headers=staff).json()
    assert saved["name"] == "Quiet for a week" and saved["params"] == {"days": 7}, saved
    # What the editor does not show stays as it was: on, its cool-down, caps and quiet hours.
    assert saved["enabled"] is True and saved["cooldown_hours"] == 48 and saved["max_per_week"] == 2, saved
    assert saved["quiet_hours"] == {"start": "22:00", "end": "07:00"}, saved

    # Another kind: its own fields, with their defaults, and a fixed message instead of a nudge.
    page.get_by_role("button", name="Edit Quiet for a week").click()
    page.get_by_role("combobox", name="When").click()
    page.get_by_role("option", name="Streak broken").click()
    expect(page.get_by_label("Days without activity")).to_have_count(0)
    expect(page.get_by_label("Grace days")).to_have_value("1")
    page.get_by_label("Daily event").fill("meditated")
    page.get_by_label("Grace days").fill("2")
    page.get_by_role("combobox", name="Then").click()
    page.get_by_role("option", name="A fixed message").click()
    page.get_by_label("Topic or message").fill("Back to it tomorrow, {{name}}?")
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_test_id("trigger-row")).to_contain_text("streak_broken")
    saved = api.get(url, headers=staff).json()
    assert saved["kind"] == "streak_broken" and saved["params"] == {"event": "meditated", "grace_days": 2}, saved
    assert saved["action"] == {"type": "message", "text": "Back to it tomorrow, {{name}}?"}, saved

    # A milestone by goal; then a number out of range is refused with the API's words, nothing changed.
    page.get_by_role("button", name="Edit Quiet for a week").click()
    expect(page.get_by_label("Daily event")).to_have_value("meditated")
    page.get_by_role("combobox", name="When").click()
    page.get_by_role("option", name="Milestone reached").click()
    page.get_by_label("Goal").fill("first 5k")
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_test_id("trigger-row")).to_contain_text("milestone")
    assert api.get(url, headers=staff).json()["params"] == {"goal": "first 5k"}
    page.get_by_role("button", name="Edit Quiet for a week").click()
    page.get_by_role("combobox", name="When").click()
    page.get_by_role("option", name="Quiet for some days").click()
    page.get_by_label("Days without activity").fill("0")
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_role("alert")).to_contain_text("params.days")
    assert api.get(url, headers=staff).json()["kind"] == "milestone"
    page.get_by_role("button", name="Cancel editing").click()
    expect(page.get_by_role("heading", name="New trigger")).to_be_visible()
    expect(page.get_by_label("Trigger name")).to_have_value("")

    # Another workspace's creator has no such trigger to edit.
    other = new_creator("engother")
    register(api, other)
    assert api.get(url, headers={"Authorization": f"Bearer {token_for(api, other)}"}).status_code == 404
