"""Members answer their program in chat: a check-in answer advances the enrollment once (retries too), a
question is not an answer, a twin exchange counts turns, a risky message is never taken as an answer,
and nobody else's message moves a member's program."""

from __future__ import annotations

from typing import Any

import asyncpg
import pytest
from litestar.testing import AsyncTestClient

from backend.lib.llm import LLM
from backend.programs.inbox import RECEIPT, answer_value
from tests.chat.conftest import member_token
from tests.fakes.fake_ollama import FakeOllama
from tests.programs.conftest import messages_of, published

pytestmark = pytest.mark.slow  # chat turns load the embedding model


def coaching_graph() -> dict[str, Any]:
    """start -> hello -> mood (1-5) -> low? calm : good -> talk (twin, 2 turns) -> bye -> end."""

    def n(node_id: str, type_: str, **data: Any) -> dict[str, Any]:
        return {"id": node_id, "type": type_, "position": {"x": 0, "y": 0}, "data": data}

    return {
        "nodes": [
            n("start", "start"),
            n("hello", "message", text="Hello {{first_name}}"),
            n("mood", "checkin", question="How calm are you?", kind="scale", min=1, max=5),
            n("split", "condition", source="answer", node="mood", rules=[{"label": "low", "op": "lte", "value": 2}]),
            n("calm", "message", text="Breathe slowly."),
            n("good", "message", text="Good to hear."),
            n("talk", "twin", topic="What is in your control today?", max_turns=2),
            n("bye", "message", text="See you tomorrow."),
            n("end", "end"),
        ],
        "edges": [
            {"id": "e1", "source": "start", "target": "hello"},
            {"id": "e2", "source": "hello", "target": "mood"},
            {"id": "e3", "source": "mood", "target": "split"},
            {"id": "e4", "source": "split", "target": "calm", "sourceHandle": "low", "label": "low"},
            {"id": "e5", "source": "split", "target": "good", "sourceHandle": "else", "label": "else"},
            {"id": "e6", "source": "calm", "target": "talk"},
            {"id": "e7", "source": "good", "target": "talk"},
            {"id": "e8", "source": "talk", "target": "bye"},
            {"id": "e9", "source": "bye", "target": "end"},
        ],
    }


async def chat(client: AsyncTestClient[Any], who: dict[str, Any], text: str, **extra: Any) -> dict[str, Any]:
    r = await client.post("/api/v1/chat", headers=who["headers"], json={"message": text, **extra})
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


async def enrolled(client: AsyncTestClient[Any], staff: dict[str, Any], pid: str, who: dict[str, Any]) -> str:
    body = {"member_id": who["id"]}
    r = await client.post(f"/api/v1/programs/{pid}/enrollments", headers=staff["headers"], json=body)
    assert r.status_code == 201, r.text
    eid: str = r.json()["id"]
    return eid


async def state(client: AsyncTestClient[Any], staff: dict[str, Any], eid: str) -> tuple[str, str | None, int]:
    r = await client.get(f"/api/v1/enrollments/{eid}", headers=staff["headers"])
    e = r.json()
    return e["current_node"], e["waiting"], e["steps"]


def test_answer_values_from_chat_text() -> None:
    assert [answer_value(t) for t in ("4", " 4/5 ", "3,5!", "Yes!", "no.")] == ["4", "4", "3.5", "yes", "no"]
    assert answer_value("I feel a 4 today") == "I feel a 4 today"


async def test_member_answers_check_in_and_twin_exchange_in_chat(
    client: AsyncTestClient[Any], creator: dict[str, Any], admin_conn: asyncpg.Connection
) -> None:
    pid = await published(client, creator, coaching_graph())
    ana = await member_token(client, creator, "ana")
    eid = await enrolled(client, creator, pid, ana)
    waiting = await state(client, creator, eid)
    assert waiting[:2] == ("mood", "answer")
    convs = (await client.get("/api/v1/conversations", headers=ana["headers"])).json()
    assert len(convs) == 1
    conv = convs[0]["id"]

    # A question while the check-in waits is not an answer: the twin replies, the program stays.
    body = await chat(client, ana, "What did the Stoics say about anger?", conversation_id=conv)
    assert body["mode"] != "program" and body["program"] is None
    assert await state(client, creator, eid) == waiting

    # "4/5" answers it: a receipt, and the program's next messages come with the reply.
    body = await chat(client, ana, "4/5", conversation_id=conv, client_id="answer-1")
    assert (body["reply"], body["mode"]) == (RECEIPT, "program")
    assert body["program"]["messages"] == ["Good to hear.", "What is in your control today?"]
    talking = await state(client, creator, eid)
    assert talking[:2] == ("talk", "twin") and talking[2] > waiting[2]
    # The same message retried (a dropped connection) gets the same receipt and moves nothing.
    again = await chat(client, ana, "4/5", conversation_id=conv, client_id="answer-1")
    assert again["message_id"] == body["message_id"]
    assert await state(client, creator, eid) == talking

    # Two turns with the twin, then the program moves on.
    first = await chat(client, ana, "My reactions are in my control.", conversation_id=conv)
    assert first["mode"] != "program" and first["program"]["messages"] == []
    assert (await state(client, creator, eid))[:2] == ("talk", "twin")
    second = await chat(client, ana, "And my effort.", conversation_id=conv)
    assert second["program"]["messages"] == ["See you tomorrow."] and second["program"]["status"] == "completed"
    said = await messages_of(admin_conn, ana["id"])
    assert said.count("Good to hear.") == 1 and said.count(RECEIPT) == 1 and said[-1] == "See you tomorrow."


async def test_risky_message_and_other_members_never_answer(
    client: AsyncTestClient[Any], creator: dict[str, Any], other_creator: dict[str, Any]
) -> None:
    pid = await published(client, creator, coaching_graph())
    ana, ben = await member_token(client, creator, "ana2"), await member_token(client, creator, "ben2")
    eid = await enrolled(client, creator, pid, ana)
    waiting = await state(client, creator, eid)
    conv = (await client.get("/api/v1/conversations", headers=ana["headers"])).json()[0]["id"]

    # A message that signals risk gets the caring reply, never counts as a "1" on the scale.
    body = await chat(client, ana, "1. I want to end my life", conversation_id=conv)
    assert body["safety"] is not None and body["program"] is None
    assert await state(client, creator, eid) == waiting

    # Another member of the workspace cannot post into Ana's conversation, nor answer for her.
    r = await client.post("/api/v1/chat", headers=ben["headers"], json={"message": "5", "conversation_id": conv})
    assert r.status_code == 404
    body = await chat(client, ben, "5")
    assert body["program"] is None
    # A member of another workspace neither.
    carl = await member_token(client, other_creator, "carl")
    r = await client.post("/api/v1/chat", headers=carl["headers"], json={"message": "5", "conversation_id": conv})
    assert r.status_code == 404
    assert await state(client, creator, eid) == waiting


async def test_twin_exchange_keeps_the_model_on_the_step_topic(client: AsyncTestClient[Any], app: Any) -> None:
    """In a program's twin step the model hears the program and the step's topic; outside it, it does not."""
    from tests.conftest import register_and_login
    from tests.corpora import CORPORA
    from tests.knowledge.helpers import upload, wait_done

    staff = await register_and_login(client, "topic-coach")
    data = (CORPORA / "on_the_shortness_of_life.txt").read_bytes()
    r = await upload(client, staff["headers"], "shortness.txt", data, title="On the Shortness of Life")
    assert (await wait_done(client, staff["headers"], r.json()["id"], timeout=300))["status"] == "ready"
    graph = coaching_graph()
    graph["nodes"][6]["data"]["topic"] = "how you spend your leisure hours"
    pid = await published(client, staff, graph)
    bea = await member_token(client, staff, "bea")
    await enrolled(client, staff, pid, bea)
    conv = (await client.get("/api/v1/conversations", headers=bea["headers"])).json()[0]["id"]
    await chat(client, bea, "4", conversation_id=conv)  # the check-in: now in the twin exchange

    platform = app.state.platform
    previous = platform.services.llm
    with FakeOllama() as fake:
        platform.services.llm = LLM(fake.url, "llama3.2", timeout=10)
        try:
            inside = await chat(client, bea, "Why does my free time slip away so fast?", conversation_id=conv)
            outside = await chat(client, bea, "Why does my free time slip away so fast?")
        finally:
            platform.services.llm = previous
    assert inside["mode"] == outside["mode"] == "llm"
    inside_prompt, outside_prompt = (q.body["messages"][0]["content"] for q in fake.requests if q.path == "/api/chat")
    assert '"Test", in an open exchange about: how you spend your leisure hours' in inside_prompt
    assert "## This conversation" not in outside_prompt
