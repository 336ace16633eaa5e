"""Each sample creator's twin, end to end: their own book in their own workspace -> a synthesized, approved
persona -> a member's question about their teaching, answered in their voice with citations that hold.

CI-sized: a prefix of each book (whole paragraphs, as published, unedited) keeps ingestion to seconds.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from backend.lib.llm import LLM
from tests.chat.conftest import member_token
from tests.chat.test_persona_api import wait_synthesis
from tests.conftest import register_and_login
from tests.corpora import CORPORA
from tests.fakes.fake_ollama import FakeOllama
from tests.knowledge.helpers import upload, wait_done

pytestmark = pytest.mark.slow

PREFIX_BYTES = 70_000
QUOTE_RE = re.compile(r"^> (.+) \[(\d+)\]$", re.M)  # markdown blockquotes, one quoted sentence each


@dataclass(frozen=True)
class Creator:
    slug: str
    file: str
    title: str
    question: str
    answer_words: tuple[str, ...]  # at least one cited passage holds one of these: the passage that answers
    address_form: str  # measured from the text by synthesis: Long's Marcus speaks in "thou"


CREATORS = [
    Creator(
        "marcus",
        "meditations.txt",
        "Meditations",
        "How should I begin each morning so that other people's bad behaviour does not upset me?",
        ("ungrateful", "busy-body", "arrogant"),
        "thou",
    ),
    Creator(
        "epictetus",
        "discourses.txt",
        "Discourses",
        "Which things are actually under my control, and which are not?",
        ("power",),
        "you",
    ),
    Creator(
        "seneca",
        "on_the_shortness_of_life.txt",
        "On the Shortness of Life",
        "Why does it feel like I never have enough time in my life?",
        ("short", "time"),
        "you",
    ),
]


def book_prefix(name: str) -> bytes:
    """The first ~70 kB of a book, cut at the end of a paragraph (a blank line, or a line in the books that
    keep each paragraph on one line)."""
    data = (CORPORA / name).read_bytes()
    for mark in (b"\n\n", b"\r\n\r\n", b"\n"):
        if (cut := data.find(mark, PREFIX_BYTES)) != -1:
            return data[: cut + len(mark)]
    return data


@pytest.fixture(scope="module")
async def twins(app: Any) -> dict[str, dict[str, Any]]:
    """The three creators' workspaces, built once for this module."""
    async with AsyncTestClient(app=app) as client:
        return {c.slug: await approved_twin(client, c) for c in CREATORS}


async def approved_twin(client: AsyncTestClient[Any], creator: Creator) -> dict[str, Any]:
    staff = await register_and_login(client, f"twin-{creator.slug}")
    h = staff["headers"]
    r = await upload(client, h, creator.file, book_prefix(creator.file), title=creator.title)
    assert r.status_code == 202, r.text
    done = await wait_done(client, h, r.json()["id"], timeout=300)
    assert done["status"] == "ready", done
    assert (await client.post("/api/v1/twin/persona/synthesize", headers=h)).status_code == 202
    state = await wait_synthesis(client, h)
    assert state["synthesis"]["status"] == "done", state["synthesis"]
    version = state["current"]["version"]
    r = await client.post(f"/api/v1/twin/persona/versions/{version}/approve", headers=h)
    assert r.status_code == 200, r.text
    return {
        **staff,
        "document_id": done["id"],
        "persona": state["current"],
        "member": await member_token(client, staff, f"{creator.slug}-member"),
    }


def assert_cited_from_own_book(body: dict[str, Any], twin: dict[str, Any], creator: Creator) -> None:
    assert body["grounded"] is True, body
    assert body["citations"], body
    assert {c["document_id"] for c in body["citations"]} == {twin["document_id"]}
    assert all(c["document_title"] == creator.title for c in body["citations"])
    cited = " ".join(c["text"].lower() for c in body["citations"])
    assert any(w in cited for w in creator.answer_words), (creator.slug, cited[:600])


@pytest.mark.parametrize("creator", CREATORS, ids=[c.slug for c in CREATORS])
async def test_twin_answers_in_the_creators_voice_with_true_citations(
    client: AsyncTestClient[Any], app: Any, twins: dict[str, dict[str, Any]], creator: Creator
) -> None:
    twin = twins[creator.slug]
    profile = twin["persona"]["profile"]
    assert profile["address_form"] == creator.address_form, profile["address_form"]
    member = twin["member"]["headers"]

    # Extractive mode (no model): every quote is the creator's own words, framed in the persona's voice.
    r = await client.post("/api/v1/chat", headers=member, json={"message": creator.question})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["mode"] == "extractive"
    assert_cited_from_own_book(body, twin, creator)
    quotes = QUOTE_RE.findall(body["reply"])
    assert quotes, body["reply"]
    book = " ".join((CORPORA / creator.file).read_text(encoding="utf-8", errors="replace").split())
    for quote, n in quotes:
        assert 1 <= int(n) <= len(body["citations"])
        assert " ".join(quote.replace("\\", "").split()) in book, quote
    frame = "Hear what I have written" if creator.address_form == "thou" else "what I have written on this"
    assert frame in body["reply"] and "offline" not in body["reply"]

    # LLM mode: the model hears this creator's approved card and principles and only this creator's passages.
    platform = app.state.platform
    previous = platform.services.llm
    with FakeOllama() as fake:
        platform.services.llm = LLM(fake.url, "llama3.2", timeout=10)
        try:
            r = await client.post("/api/v1/chat", headers=member, json={"message": creator.question})
        finally:
            platform.services.llm = previous
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["mode"] == "llm"
    assert_cited_from_own_book(body, twin, creator)
    system = [q for q in fake.requests if q.path == "/api/chat"][-1].body["messages"][0]["content"]
    assert twin["persona"]["card"].strip()[:200] in system
    assert twin["persona"]["principles"][0] in system
    assert f"'{creator.address_form}'" in system
    for citation in body["citations"]:
        assert citation["text"][:80] in system  # cited only what the model was shown


def test_the_three_voices_differ(twins: dict[str, dict[str, Any]]) -> None:
    """Synthesis measures each author, not a template: their signature phrases barely overlap."""
    phrases = {slug: {p.lower() for p in t["persona"]["profile"]["signature_phrases"]} for slug, t in twins.items()}
    assert all(phrases.values()), phrases
    slugs = list(phrases)
    for i, a in enumerate(slugs):
        for b in slugs[i + 1 :]:
            shared = phrases[a] & phrases[b]
            assert len(shared) <= len(phrases[a]) // 4, (a, b, shared)


# ---- grounding regression (issue 18): a subset of the harness, through the real chat API --------------------

HARNESS = Path(__file__).resolve().parents[1] / "bench" / "retrieval"
CORPUS_OF = {"marcus": "meditations", "epictetus": "discourses", "seneca": "on_the_shortness_of_life"}


def harness_subset(slug: str, n: int = 10) -> tuple[list[str], list[str]]:
    """The first `n` on-topic questions about this creator's book and every seventh off-topic question."""
    on = [q["question"] for q in json.loads((HARNESS / "questions.json").read_text()) if q["corpus"] == CORPUS_OF[slug]]
    off = [q["question"] for q in json.loads((HARNESS / "offtopic.json").read_text())]
    return on[:n], off[::7]


@pytest.mark.parametrize("creator", CREATORS, ids=[c.slug for c in CREATORS])
async def test_grounding_answers_real_questions_and_refuses_the_rest(
    client: AsyncTestClient[Any], twins: dict[str, dict[str, Any]], creator: Creator
) -> None:
    """Fails if the gate regresses: harness targets are >= 85% answered and >= 95% refused (README)."""
    member = twins[creator.slug]["member"]["headers"]
    on, off = harness_subset(creator.slug)
    answered, refused = [], []
    for question in on:
        body = (await client.post("/api/v1/chat", headers=member, json={"message": question})).json()
        answered.append(body["grounded"] and bool(body["citations"]))
    for question in off:
        body = (await client.post("/api/v1/chat", headers=member, json={"message": question})).json()
        refused.append(not body["grounded"] and not body["citations"])
    assert sum(answered) >= 0.8 * len(on), list(zip(on, answered, strict=True))
    assert all(refused), list(zip(off, refused, strict=True))


# Harness questions in modern words whose answer lies in the part of the book these workspaces hold: the reply
# quotes the answering sentence (fails if retrieval, the sentence scores search returns or the quote choice
# break; Epictetus' was missed by the quote choice before issue 18's sentence ranking).
QUOTED = {
    "marcus": "medi-feeling-hurt",
    "epictetus": "disc-fled-sick-child",
    "seneca": "on_t-guarding-time",
}


@pytest.mark.parametrize("creator", CREATORS, ids=[c.slug for c in CREATORS])
async def test_an_everyday_question_gets_the_answering_sentence_quoted(
    client: AsyncTestClient[Any], twins: dict[str, dict[str, Any]], creator: Creator
) -> None:
    from tests.bench.retrieval.harness import quotes_answer

    item = next(q for q in json.loads((HARNESS / "questions.json").read_text()) if q["id"] == QUOTED[creator.slug])
    member = twins[creator.slug]["member"]["headers"]
    body = (await client.post("/api/v1/chat", headers=member, json={"message": item["question"]})).json()
    assert body["grounded"] is True and body["mode"] == "extractive", body
    assert body["citations"] and quotes_answer(body["reply"], item["answer_quote"]), body["reply"]
    assert 1 <= len(re.findall(r"^> ", body["reply"], re.M)) <= 3  # at most three short quotes


async def test_hard_moments_and_small_talk_get_a_human_reply(
    client: AsyncTestClient[Any], twins: dict[str, dict[str, Any]]
) -> None:
    member = twins["epictetus"]["member"]["headers"]
    body = (
        await client.post("/api/v1/chat", headers=member, json={"message": "My father just died and I can't focus"})
    ).json()
    assert body["reply"].startswith("I am so sorry for your loss."), body["reply"]
    assert body["safety"] is None
    assert body["grounded"] is (bool(body["citations"]))  # cited material, or a kind pointer: never a bare refusal
    if not body["grounded"]:
        assert "someone close" in body["reply"]
    hello = (await client.post("/api/v1/chat", headers=member, json={"message": "hi"})).json()
    assert hello["grounded"] is False and hello["citations"] == [] and "Ask me" in hello["reply"]
    assert "have not written" not in hello["reply"]
    dose = (
        await client.post("/api/v1/chat", headers=member, json={"message": "What dose of melatonin should I take?"})
    ).json()
    assert dose["grounded"] is False and "pharmacist" in dose["reply"]
