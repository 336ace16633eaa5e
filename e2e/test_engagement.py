"""The Engagement page: a creator saves a trigger (off), previews who it would reach now, switches it on, runs an
evaluation, and reads the decision log; every control named for screen readers (axe: no serious violations)."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import httpx
from playwright.sync_api import Page, expect

from e2e.axe import violations
from e2e.conftest import new_creator, register, shot, sign_in, token_for

ZONES = ["UTC", "Europe/Berlin", "Asia/Tokyo", "America/New_York", "America/Los_Angeles", "Asia/Kolkata",
         "Australia/Sydney", "Pacific/Auckland", "America/Sao_Paulo", "Asia/Dubai"]  # fmt: skip


def daytime_zone() -> str:
    """A zone where it is now between 10:00 and 18:00, so the default quiet hours (21:00-08:00) do not apply."""
    now = datetime.now(UTC)
    return next(z for z in ZONES if 10 <= now.astimezone(ZoneInfo(z)).hour < 18)


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
    expect(page.get_by_label("Parameters (JSON)")).to_have_value('{"name": "run_logged", "where": {}}')
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
    page.get_by_role("combobox", name="Outcome").click()
    page.get_by_role("option", name="holdout").click()
    expect(page.get_by_text("No decisions yet.")).to_be_visible()
    assert violations(page) == []
    shot(page, "engagement")
