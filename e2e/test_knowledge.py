"""A creator uploads sample knowledge through drag-and-drop, watches it reach `ready`, searches it,
synthesizes a persona, approves it and gets a cited reply in the playground."""

from __future__ import annotations

import re
import time
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect

from e2e.conftest import Servers, new_creator, register, shot, sign_in, token_for
from tests.corpora import CORPORA


def _knowledge_available(api: httpx.Client) -> bool:
    return "/api/v1/knowledge/documents" in api.get("/schema/openapi.json").json().get("paths", {})


def test_upload_search_persona_playground(page: Page, api: httpx.Client, servers: Servers, tmp_path: Path) -> None:
    if not _knowledge_available(api):
        pytest.skip("the knowledge API is not available on this server yet")
    sample = CORPORA / "on_the_shortness_of_life.txt"
    if not sample.exists():
        pytest.skip("sample corpora not found beside the repository")
    notes = tmp_path / "coaching_notes.md"
    notes.write_text(
        "# On anger\n\nAnger is a brief madness. When anger rises, wait: delay is the best remedy for anger.\n\n"
        "# On time\n\nLife is long if you know how to use it. Guard your hours as you would your money.\n"
    )
    creator = new_creator("seneca")
    register(api, creator)
    sign_in(page, creator)
    expect(page.get_by_role("heading", level=1)).to_have_text("Home")
    page.goto("/knowledge")
    expect(page.get_by_test_id("empty-state")).to_be_visible()

    # Two files at once through the drop zone's file input: they upload as soon as they are dropped.
    page.get_by_label("Tags for the files you add").fill("stoic, sample")
    page.get_by_label("Files to add to your knowledge").set_input_files([str(sample), str(notes)])
    expect(page.get_by_test_id("upload-row")).to_have_count(2)
    rows = page.get_by_test_id("doc-row")
    expect(rows).to_have_count(2, timeout=30_000)
    expect(rows.get_by_test_id("status").filter(has_text="ready")).to_have_count(2, timeout=120_000)
    shot(page, "knowledge")

    # The search tester shows ranked passages with their citations.
    page.get_by_test_id("search-input").fill("What is the best remedy for anger?")
    page.get_by_test_id("search-submit").click()
    results = page.get_by_test_id("search-result")
    expect(results.first).to_be_visible(timeout=30_000)
    expect(results.first).to_contain_text("#1")
    expect(page.get_by_test_id("search-result").filter(has_text=re.compile("anger", re.I)).first).to_be_visible()
    shot(page, "knowledge-search")

    # Persona studio: synthesize, then approve.
    page.goto("/persona")
    expect(page.get_by_role("heading", level=1)).to_have_text("Persona & playground")
    page.get_by_test_id("persona-synthesize").click()
    expect(page.get_by_test_id("persona-card")).to_be_visible(timeout=120_000)
    approve = page.get_by_test_id("persona-approve")
    if approve.count():
        approve.click()
    expect(page.get_by_test_id("persona-approved")).to_be_visible(timeout=30_000)

    # An edit saves a new version, not approved; approving the first one again rolls the twin back to it.
    page.get_by_test_id("persona-card").fill("I speak plainly, as Seneca wrote to Lucilius.")
    page.get_by_test_id("persona-save").click()
    versions = page.get_by_test_id("persona-version")
    expect(versions).to_have_count(2)
    expect(page.get_by_test_id("persona-approve")).to_be_visible()
    versions.filter(has_text="approved").get_by_test_id("persona-version-show").click()
    expect(page.get_by_test_id("persona-card")).not_to_have_value("I speak plainly, as Seneca wrote to Lucilius.")
    expect(page.get_by_test_id("persona-approved")).to_be_visible()

    # Playground: a reply with its mode, grounded flag and citations.
    page.get_by_test_id("playground-input").fill("How should I deal with anger?")
    page.get_by_test_id("playground-send").click()
    reply = page.get_by_test_id("msg-assistant").last
    expect(reply.get_by_test_id("reply-mode")).to_be_visible(timeout=120_000)
    expect(reply.get_by_test_id("grounded")).to_be_visible()
    expect(reply.get_by_test_id("citation").first).to_be_visible()
    shot(page, "persona-playground")

    # The checklist ticked itself: knowledge, persona, playground.
    page.goto("/")
    for step in ("step-knowledge", "step-persona", "step-playground"):
        expect(page.get_by_test_id(step)).to_have_attribute("data-done", "true")
    page.goto("/conversations")
    expect(page.get_by_test_id("conversation-row").first).to_be_visible()
    page.get_by_test_id("conversation-row").first.click()
    expect(page.get_by_test_id("thread-title")).to_be_visible()
    expect(page.get_by_test_id("msg-assistant").first).to_be_visible()
    shot(page, "conversation")


def test_knowledge_page_interactive_with_50_documents(page: Page, api: httpx.Client, servers: Servers) -> None:
    """Measured figure: the Knowledge page with 50 documents, from navigation to a usable list."""
    if not _knowledge_available(api):
        pytest.skip("the knowledge API is not available on this server yet")
    creator = new_creator("library")
    register(api, creator)
    headers = {"Authorization": f"Bearer {token_for(api, creator)}"}
    for i in range(50):
        r = api.post(
            "/api/v1/knowledge/documents",
            headers=headers,
            files={"file": (f"note-{i:02d}.txt", f"Note {i}: patience is a practice, day {i}.".encode(), "text/plain")},
            data={"tags": f"batch{i % 3}"},
        )
        assert r.status_code in {200, 201, 202}, r.text
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        docs = api.get("/api/v1/knowledge/documents", headers=headers).json()
        if all(d["status"] in {"ready", "failed"} for d in docs):
            break
        time.sleep(1)
    sign_in(page, creator)
    expect(page.get_by_role("heading", level=1)).to_have_text("Home")
    started = time.monotonic()
    page.goto("/knowledge")
    expect(page.get_by_test_id("doc-row")).to_have_count(50)
    page.get_by_test_id("doc-filter").fill("note-07")
    expect(page.get_by_test_id("doc-row")).to_have_count(1)
    servers.record("knowledge_50_docs_seconds_until_interactive", round(time.monotonic() - started, 3))

    # Tablet width: the sidebar gives way to a top bar with a menu.
    page.set_viewport_size({"width": 768, "height": 1024})
    page.get_by_test_id("doc-filter").fill("")
    shot(page, "knowledge-tablet")
