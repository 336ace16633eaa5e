"""A creator synthesizes a persona from Marcus Aurelius' book, reads a card they recognise, adds two gold
questions, runs an evaluation, corrects a reply in the playground and sees the correction used there.
Controls are found by their label and role, as a person finds them."""

from __future__ import annotations

import re
import time

import httpx
from playwright.sync_api import Page, expect

from e2e.conftest import Servers, new_creator, register, shot, sign_in, token_for
from tests.chat.test_creators import book_prefix

QUESTION = "What should I do when someone insults me?"
PARAPHRASE = "How should I respond when a person insults me?"
MY_ANSWER = "Ask whether it is true. If it is, learn from it; if not, the fault is theirs and cannot harm thee."


def _ready_book(api: httpx.Client, token: str) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    book = {"file": ("meditations.txt", book_prefix("meditations.txt"))}
    r = api.post("/api/v1/knowledge/documents", headers=headers, files=book, data={"title": "Meditations"})
    assert r.status_code == 202, r.text
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        doc = api.get(f"/api/v1/knowledge/documents/{r.json()['id']}", headers=headers).json()
        if doc["status"] == "ready":
            return
        assert doc["status"] != "failed", doc
        time.sleep(0.5)
    raise AssertionError("the book was not ingested in time")


def test_card_trainer_and_a_correction_used_in_the_playground(page: Page, api: httpx.Client, servers: Servers) -> None:
    creator = new_creator("marcus")
    register(api, creator)
    _ready_book(api, token_for(api, creator))
    sign_in(page, creator)
    expect(page.get_by_role("heading", level=1)).to_have_text("Home")
    page.goto("/persona")

    # Synthesize, then read the card: the voice in words, themes with passages, principles.
    page.get_by_role("button", name="Synthesize from my knowledge").click()
    expect(page.get_by_role("heading", name="Your persona")).to_be_visible(timeout=180_000)
    expect(page.get_by_role("paragraph").filter(has_text="addresses the reader as 'thou'")).to_be_visible()
    expect(page.get_by_role("heading", name="Themes")).to_be_visible()
    expect(page.get_by_role("heading", name="Principles")).to_be_visible()
    page.get_by_role("button", name="Details: the measures behind the voice").click()
    expect(page.get_by_text(re.compile("avg sentence len"))).to_be_visible()
    page.get_by_role("button", name="Approve version as is").click()
    expect(page.get_by_test_id("persona-approved")).to_be_visible(timeout=30_000)
    shot(page, "persona-card")

    # Trainer: two gold questions, then an evaluation with progress and results per question.
    page.get_by_role("tab", name="Trainer").click()
    for question, answer in (
        ("How should I begin each morning so that other people's bad behaviour does not upset me?",
         "Begin the morning by saying to thyself: I shall meet with the ungrateful and arrogant; they cannot "
         "injure me."),
        ("What is the best pizza in Rome?", "I have not written about that."),
    ):  # fmt: skip
        page.get_by_label("Question", exact=True).fill(question)
        page.get_by_label("Your answer", exact=True).fill(answer)
        page.get_by_role("button", name="Add gold question").click()
        expect(page.get_by_text(question)).to_be_visible()
    page.get_by_role("button", name="Run evaluation").click()
    expect(page.get_by_role("heading", name="Results per question")).to_be_visible(timeout=180_000)
    expect(page.get_by_text("answered", exact=True).first).to_be_visible()
    expect(page.get_by_text("refused", exact=True).first).to_be_visible()
    shot(page, "trainer")

    # Playground: correct a reply; the correction is approved at once (the owner is an admin) and used.
    page.get_by_role("tab", name="Persona").click()
    page.get_by_label("Message your twin").fill(QUESTION)
    page.get_by_role("button", name="Send").click()
    reply = page.get_by_test_id("msg-assistant").last
    expect(reply.get_by_test_id("reply-mode")).to_be_visible(timeout=120_000)
    reply.get_by_role("button", name="Correct this answer").click()
    dialog = page.get_by_role("dialog", name="Correct this answer")
    expect(dialog.get_by_label("Question")).to_have_value(QUESTION)
    dialog.get_by_label("Your answer").fill(MY_ANSWER)
    dialog.get_by_role("button", name="Save correction").click()
    expect(page.get_by_role("status").filter(has_text="Approved")).to_be_visible()

    page.get_by_label("Message your twin").fill(PARAPHRASE)
    page.get_by_role("button", name="Send").click()
    corrected = page.get_by_test_id("msg-assistant").last
    expect(corrected.get_by_test_id("reply-mode")).to_have_text("your answer", timeout=120_000)
    expect(corrected).to_contain_text(MY_ANSWER)
    shot(page, "playground-correction")
