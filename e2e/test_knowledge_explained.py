"""Knowledge that explains itself, and conversations people can read (issue 20): uploads start on drop, refused
types are named, the same content asks before it is added again, a citation opens the document at its passage,
relevance reads as words; replies render markdown, name the member, and say what consistency is."""

from __future__ import annotations

import re
import time
from pathlib import Path

import httpx
from playwright.sync_api import Page, expect

from e2e.conftest import Servers, new_creator, register, sign_in, token_for

LETTER = (
    "# On anger\n\nanger is brief. Anger is a brief madness. When anger rises, wait: delay is the best remedy for "
    "anger. Nothing is so hard that patience cannot soften it.\n\n# On time\n\nLife is long if you know how to use "
    "it. Guard your hours as you would your money.\n"
)


def wait_ready(api: httpx.Client, headers: dict[str, str]) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        docs = api.get("/api/v1/knowledge/documents", headers=headers).json()
        if docs and all(d["status"] in {"ready", "failed"} for d in docs):
            return
        time.sleep(0.5)
    raise AssertionError("documents were not indexed in time")


def test_uploads_ask_name_and_explain(page: Page, api: httpx.Client, servers: Servers, tmp_path: Path) -> None:
    creator = new_creator("seneca")
    register(api, creator)
    letter, copy, photo = tmp_path / "on_anger_and_time.md", tmp_path / "anger-copy.md", tmp_path / "photo.png"
    letter.write_text(LETTER)
    copy.write_text(LETTER)
    photo.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(64))
    sign_in(page, creator)
    expect(page.get_by_role("heading", level=1)).to_have_text("Home")
    page.goto("/knowledge")
    drop_zone = page.get_by_label("Files to add to your knowledge")

    # Dropped files upload at once; the title reads as a title.
    drop_zone.set_input_files([str(letter)])
    expect(page.get_by_role("link", name="On Anger and Time")).to_be_visible()
    # A type CoachTwin does not read is named and refused.
    drop_zone.set_input_files([str(photo)])
    expect(page.get_by_test_id("upload-row").filter(has_text="photo.png")).to_contain_text("Not added")
    # The same content again asks first; keeping both adds it.
    drop_zone.set_input_files([str(copy)])
    asking = page.get_by_test_id("upload-row").filter(has_text="anger-copy.md")
    expect(asking).to_contain_text("already has this content")
    asking.get_by_role("button", name="Keep both").click()
    expect(page.get_by_role("link", name="Anger Copy")).to_be_visible()

    headers = {"Authorization": f"Bearer {token_for(api, creator)}"}
    wait_ready(api, headers)
    page.reload()
    page.get_by_label("Question to search for").fill("What is the best remedy for anger?")
    page.get_by_role("button", name="Search").click()
    first = page.get_by_test_id("search-result").first
    expect(first).to_contain_text(re.compile("Strong match|Good match|Partial match|Weak match"))
    expect(first).not_to_contain_text("anger is brief")  # passages are shown from a sentence start

    # A citation opens the document at the cited passage, highlighted.
    first.get_by_role("link").first.click()
    expect(page).to_have_url(re.compile(r"/knowledge/[0-9a-f-]{36}\?passage="))
    cited = page.locator("[data-testid=passage][data-cited=true]")
    expect(cited).to_have_count(1)
    expect(cited).to_be_in_viewport()
    expect(cited).to_contain_text("remedy for anger")


def test_conversations_name_the_member_and_explain(page: Page, api: httpx.Client, servers: Servers) -> None:
    creator = new_creator("coach")
    register(api, creator)
    headers = {"Authorization": f"Bearer {token_for(api, creator)}"}
    api.post("/api/v1/knowledge/documents", headers=headers,
             files={"file": ("letter.md", LETTER.encode(), "text/markdown")})  # fmt: skip
    wait_ready(api, headers)
    ana = {"external_id": "ana@example.com", "display_name": "Ana Lima", "timezone": "UTC"}
    member = api.post("/api/v1/members/", headers=headers, json=ana).json()
    token = api.post(f"/api/v1/members/{member['id']}/token", headers=headers).json()["token"]
    r = api.post("/api/v1/chat", headers={"Authorization": f"Bearer {token}"}, json={"message": "How do I calm anger?"})
    assert r.status_code == 200, r.text

    sign_in(page, creator)
    expect(page.get_by_role("heading", level=1)).to_have_text("Home")
    page.goto("/conversations")
    row = page.get_by_test_id("conversation-row").first
    expect(row).to_contain_text("Ana Lima")
    expect(row).to_contain_text(re.compile(r"Today at"))
    row.click()
    expect(page.get_by_test_id("thread-title")).to_be_visible()
    expect(page.get_by_text("Consistency, 0 to 1", exact=False)).to_be_visible()

    # The playground keeps the newest reply in view and renders markdown.
    page.goto("/persona")
    for question in ("What is the best remedy for anger?", "How long is life?", "How should I guard my hours?"):
        page.get_by_label("Message your twin").fill(question)
        page.get_by_role("button", name="Send").click()
        expect(page.get_by_test_id("msg-assistant").last.get_by_test_id("reply-mode")).to_be_visible(timeout=60_000)
    expect(page.get_by_test_id("msg-assistant").last).to_be_in_viewport()
