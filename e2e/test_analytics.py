"""Analytics on a demo workspace: a creator reads where members drop off and how their readiness changed."""

from __future__ import annotations

import re
import subprocess
import sys
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from e2e.conftest import ROOT, Creator, Servers, sign_in
from e2e.test_pages import sweep


@pytest.fixture(scope="module")
def demo(servers: Servers) -> Creator:
    """`coachtwin demo` run against the suite's own API services, as a creator runs it on first start."""
    if servers.env is None:
        pytest.skip("servers started by hand: run `coachtwin demo` against them and use its account")
    tag = uuid.uuid4().hex[:8]
    creator = Creator(f"demo-{tag}@example.com", "Demo Creator", "Stoic Mornings (demo)")
    done = subprocess.run(
        [sys.executable, "-m", "backend.cli", "demo", "--email", creator.email, "--password", creator.password,
         "--members", "150", "--days", "42", "--no-twin"],
        cwd=ROOT, env=servers.env, capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "150 members enrolled" in done.stdout, done.stdout[-2000:]
    return creator


@pytest.fixture(scope="module")
def creator_page(browser: Browser, browser_context_args: dict[str, Any], demo: Creator) -> Iterator[Page]:
    context = browser.new_context(**browser_context_args)
    page = context.new_page()
    sign_in(page, demo)
    expect(page.get_by_test_id("page-title")).to_have_text("Home")
    yield page
    context.close()


def test_a_creator_reads_the_funnel_and_a_metrics_change(creator_page: Page) -> None:
    page = creator_page
    page.get_by_role("link", name="Analytics").first.click()
    expect(page.get_by_role("heading", name="Funnel: where members drop off")).to_be_visible()
    expect(page.get_by_role("combobox", name="Program")).to_contain_text("Stoic morning")

    # The funnel is drawn on the program's own steps, by name, with its numbers in a table.
    funnel = page.get_by_role("region", name="Funnel by step")
    welcome = funnel.get_by_role("row").filter(has_text="Welcome")
    expect(welcome).to_contain_text("150")  # every member of the demo was welcomed
    expect(funnel.get_by_role("row").filter(has_text="Morning intention")).to_be_visible()
    expect(funnel.get_by_role("row").filter(has_text="Completed")).to_be_visible()
    expect(page.get_by_role("img", name=re.compile("Funnel: members who reached each step"))).to_be_visible()

    # The readiness check-in is the program's metric: its latest answers are higher than its first ones.
    metric = (
        page.get_by_role("region", name="Metrics first vs latest")
        .get_by_role("row")
        .filter(has_text="Morning intention")
    )
    expect(metric).to_contain_text(re.compile(r"\+0\.\d\d|\+1\.\d\d"))

    # The numbers come as CSV too.
    with page.expect_download() as download:
        page.get_by_role("button", name="Download Funnel by step as CSV").click()
    assert "Morning intention" in download.value.path().read_text()

    # The version filter narrows the funnel to the members of one version of the A/B experiment.
    page.get_by_role("combobox", name="Version").click()
    page.get_by_role("option", name="Version 1").click()
    welcome = page.get_by_role("region", name="Funnel by step").get_by_role("row").filter(has_text="Welcome")
    expect(welcome).not_to_contain_text("150")
    expect(welcome).to_contain_text(re.compile(r"Welcome\s*\d+"))
    # The experiment's arms are listed with the outcome it is judged on.
    expect(page.get_by_role("region", name="Experiment result")).to_contain_text("Version 2")


def test_analytics_with_data_passes_axe(creator_page: Page) -> None:
    sweep(creator_page, "/analytics", "analytics-demo")
