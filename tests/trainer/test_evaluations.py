"""Evaluations on a real corpus with the real model: the gold set through the real chat turn, offline
(extractive) and with a model (the fake Ollama), on the job queue with progress, scored and kept."""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from backend.lib.llm import LLM
from tests.fakes.fake_ollama import FakeOllama

pytestmark = pytest.mark.slow
GOLD = "/api/v1/twin/gold"
RUNS = "/api/v1/twin/evaluations"
MORNING = (
    "Begin the morning by saying to thyself, I shall meet with the busy-body, the ungrateful, arrogant, "
    "deceitful, envious, unsocial. All these things happen to them by reason of their ignorance of what is "
    "good and evil; and none of them can injure me, nor can I be angry with my kinsman, nor hate him."
)


async def wait_run(
    client: AsyncTestClient[Any], h: dict[str, str], run_id: str, timeout: float = 240
) -> dict[str, Any]:
    seen: list[float] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        r = await client.get(f"{RUNS}/{run_id}", headers=h)
        assert r.status_code == 200, r.text
        body: dict[str, Any] = r.json()
        seen.append(body["progress"])
        if body["status"] in ("done", "failed"):
            body["_seen"] = seen
            return body
        await asyncio.sleep(0.2)
    raise AssertionError(f"evaluation {run_id} did not finish (progress {seen[-5:]})")


@pytest.fixture(scope="module")
async def gold(app: Any, marcus: dict[str, Any]) -> list[dict[str, Any]]:
    async with AsyncTestClient(app=app) as client:
        h = marcus["editor"]["headers"]
        out = []
        for body in (
            {
                "question": "How should I start my day so that rude and ungrateful people don't get to me?",
                "answer": MORNING,
                "must_cite_document_id": marcus["document_id"],
            },
            {"question": "What is the best pizza in Rome?", "answer": "I have not written about that."},
        ):
            r = await client.post(GOLD, headers=h, json=body)
            assert r.status_code == 201, r.text
            out.append(r.json())
        return out


async def test_an_offline_evaluation_scores_what_members_get(
    client: AsyncTestClient[Any], marcus: dict[str, Any], gold: list[dict[str, Any]]
) -> None:
    h = marcus["editor"]["headers"]
    r = await client.post(RUNS, headers=h, json={})
    assert r.status_code == 202, r.text
    assert set(r.json()) == {"id", "status"} and r.json()["status"] == "queued"
    run = await wait_run(client, h, r.json()["id"])
    assert run["status"] == "done" and run["progress"] == 1.0 and run["error"] is None, run
    assert run["_seen"] == sorted(run["_seen"])  # progress only moves forward
    assert run["mode"] == "extractive" and run["evaluated_version"] == marcus["persona"]["version"]
    by_gold = {res["gold_id"]: res for res in run["results"]}
    assert [res["gold_id"] for res in run["results"]] == [g["id"] for g in gold]
    morning, pizza = by_gold[gold[0]["id"]], by_gold[gold[1]["id"]]
    # The real turn: a grounded reply quoting the book, citing the required document, close to the gold answer.
    assert morning["answered"] is True and morning["cited_ok"] is True, morning
    assert morning["citations"] and {c["document_id"] for c in morning["citations"]} == {marcus["document_id"]}
    assert morning["similarity"] > 0.4 and 0 <= morning["style"] <= 1, morning
    # Off-topic: refused, which is what the creator's gold answer says too; nothing cited.
    assert pizza["answered"] is False and pizza["cited_ok"] is False and not pizza["citations"]
    summary = run["summary"]
    assert summary["count"] == 2 and summary["answered_rate"] == 0.5 and summary["cited_rate"] == 0.5
    assert summary["mean_similarity"] == pytest.approx((morning["similarity"] + pizza["similarity"]) / 2, abs=0.002)
    # The run's turns leave no conversations behind in the playground.
    convs = (await client.get("/api/v1/conversations", headers=h, params={"kind": "playground"})).json()
    assert not any(c["title"].startswith(("How should I start my day", "What is the best pizza")) for c in convs)
    # The scorecard lists it, newest first, with its summary; viewers read it.
    card = (await client.get(RUNS, headers=marcus["viewer"]["headers"])).json()
    assert card[0]["id"] == run["id"] and card[0]["summary"] == summary


async def test_an_evaluation_with_the_model_and_of_a_chosen_persona_version(
    client: AsyncTestClient[Any], app: Any, marcus: dict[str, Any], gold: list[dict[str, Any]]
) -> None:
    h = marcus["headers"]
    r = await client.put(
        "/api/v1/twin/persona", headers=h, json={"card": "# Marcus, edited\nAnswer briefly.", "principles": []}
    )
    assert r.status_code == 200, r.text
    edited = r.json()["version"]
    assert (await client.post(RUNS, headers=h, json={"persona_version": 999})).status_code == 404
    services = app.state.platform.services
    previous = services.llm
    async with FakeOllama() as fake:
        services.llm = LLM(fake.url, "llama3.2", timeout=10)
        try:
            r = await client.post(RUNS, headers=h, json={"persona_version": edited})
            assert r.status_code == 202, r.text
            run = await wait_run(client, h, r.json()["id"])
        finally:
            services.llm = previous
    assert run["status"] == "done" and run["mode"] == "llm", run
    assert run["persona_version"] == edited == run["evaluated_version"]
    morning = run["results"][0]
    assert morning["answered"] and morning["cited_ok"] and morning["reply"].startswith("You asked:"), morning
    # The model heard the edited card, not the approved one.
    systems = [q.body["messages"][0]["content"] for q in fake.requests if q.path == "/api/chat"]
    assert systems and all("Marcus, edited" in s for s in systems)


async def test_runs_never_cross_workspaces(
    client: AsyncTestClient[Any], marcus: dict[str, Any], other_creator: dict[str, Any], gold: list[dict[str, Any]]
) -> None:
    theirs = other_creator["headers"]
    mine = (await client.get(RUNS, headers=marcus["headers"])).json()
    assert mine
    assert (await client.get(RUNS, headers=theirs)).json() == []
    assert (await client.get(f"{RUNS}/{mine[0]['id']}", headers=theirs)).status_code == 404
    assert (await client.get(f"{RUNS}/{uuid.uuid4()}", headers=marcus["headers"])).status_code == 404
    assert (await client.get(GOLD, headers=theirs)).json() == []


async def test_a_starter_gold_set_is_proposed_from_the_persona(
    client: AsyncTestClient[Any], marcus: dict[str, Any], creator: dict[str, Any]
) -> None:
    r = await client.get(f"{GOLD}/proposals", headers=marcus["editor"]["headers"])
    assert r.status_code == 200, r.text
    proposals = r.json()
    principles = marcus["persona"]["principles"]
    assert len(proposals) >= 3 and all(p["answer"] in principles for p in proposals)
    assert all(p["question"].endswith("?") and p["theme"] for p in proposals)
    assert {p["must_cite_document_id"] for p in proposals} == {marcus["document_id"]}
    assert (await client.get(f"{GOLD}/proposals", headers=marcus["viewer"]["headers"])).status_code == 403
    assert (await client.get(f"{GOLD}/proposals", headers=creator["headers"])).status_code == 409  # no persona yet
