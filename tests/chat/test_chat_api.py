"""Chat over REST against a real ingested corpus: extractive and LLM modes, grounding, safety, memory."""

from __future__ import annotations

from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from backend.lib.llm import LLM
from tests.chat.conftest import member_token
from tests.conftest import register_and_login
from tests.fakes.fake_ollama import FakeOllama

pytestmark = pytest.mark.slow


@pytest.fixture
def fake_llm(app: Any) -> Any:
    """The real ollama client, pointed at a fake Ollama on loopback, for the duration of one test."""
    with FakeOllama() as fake:
        platform = app.state.platform
        previous = platform.services.llm
        platform.services.llm = LLM(fake.url, "llama3.2", timeout=10)
        try:
            yield fake
        finally:
            platform.services.llm = previous


async def chat(client: AsyncTestClient[Any], headers: dict[str, str], message: str, **extra: Any) -> dict[str, Any]:
    r = await client.post("/api/v1/chat", headers=headers, json={"message": message, **extra})
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


async def test_extractive_answer_is_grounded_and_cited(client: AsyncTestClient[Any], seneca: dict[str, Any]) -> None:
    body = await chat(client, seneca["member"]["headers"], "Why does life feel so short, and am I wasting my time?")
    assert body["mode"] == "extractive"
    assert body["grounded"] is True
    assert body["citations"], body
    cite = body["citations"][0]
    assert cite["document_id"] == seneca["document_id"]
    assert cite["document_title"] == "On the Shortness of Life"
    assert cite["text"] and isinstance(cite["location"], dict)
    assert body["consistency"] is None  # scored after the reply: see test_chat_state.py
    # The reply is built from the cited passages, not invented.
    assert any(word in body["reply"].lower() for word in ("life", "time", "short"))


async def test_off_topic_is_not_grounded(client: AsyncTestClient[Any], seneca: dict[str, Any]) -> None:
    body = await chat(
        client, seneca["member"]["headers"], "How do I file my quarterly VAT tax return for a limited company?"
    )
    assert body["grounded"] is False
    assert body["citations"] == []
    assert "not" in body["reply"].lower()


async def test_llm_mode_streams_through_real_client(
    client: AsyncTestClient[Any], seneca: dict[str, Any], fake_llm: FakeOllama
) -> None:
    body = await chat(client, seneca["headers"], "How should I spend my leisure?")
    assert body["mode"] == "llm"
    assert body["grounded"] is True
    assert body["reply"].startswith("You asked:")
    assert body["citations"] and body["citations"][0]["document_id"] == seneca["document_id"]
    chat_calls = [r for r in fake_llm.requests if r.path == "/api/chat"]
    assert chat_calls, "the twin never called Ollama"
    system = chat_calls[-1].body["messages"][0]["content"]
    assert "[S1]" in system and "Answer only from the sources" in system


async def test_crisis_message_gets_care_and_flags_conversation(
    client: AsyncTestClient[Any], seneca: dict[str, Any]
) -> None:
    body = await chat(client, seneca["member"]["headers"], "I can't go on anymore, I want to kill myself tonight.")
    assert body["safety"] is not None
    assert body["citations"] == []
    r = await client.get("/api/v1/conversations", headers=seneca["headers"], params={"flagged": "true"})
    assert body["conversation_id"] in [c["id"] for c in r.json()]


async def test_member_memory_reaches_later_conversations(
    client: AsyncTestClient[Any], seneca: dict[str, Any], fake_llm: FakeOllama
) -> None:
    member = await member_token(client, seneca, "memory-tester")
    await chat(client, member["headers"], "My goal is to stop checking email before breakfast.")
    second = await chat(client, member["headers"], "How should I spend my leisure?")  # a new conversation
    assert second["mode"] == "llm"
    system = [r for r in fake_llm.requests if r.path == "/api/chat"][-1].body["messages"][0]["content"]
    assert "stop checking email before breakfast" in system


async def test_conversations_are_private(client: AsyncTestClient[Any], seneca: dict[str, Any]) -> None:
    mine = await chat(client, seneca["member"]["headers"], "What is leisure for?")
    conv = mine["conversation_id"]
    other_member = seneca["member2"]["headers"]
    # Another member of the same workspace: cannot read, cannot continue.
    assert (await client.get(f"/api/v1/conversations/{conv}", headers=other_member)).status_code == 404
    r = await client.post("/api/v1/chat", headers=other_member, json={"message": "hi", "conversation_id": conv})
    assert r.status_code == 404
    # Staff of another workspace: nothing.
    stranger = await register_and_login(client, "stranger")
    assert (await client.get(f"/api/v1/conversations/{conv}", headers=stranger["headers"])).status_code == 404
    assert (await client.get("/api/v1/conversations", headers=stranger["headers"])).json() == []
    r = await client.post("/api/v1/chat", headers=stranger["headers"], json={"message": "hi", "conversation_id": conv})
    assert r.status_code == 404
    # Staff of this workspace can read it (the hub's conversation browser) but not speak in it.
    r = await client.get(f"/api/v1/conversations/{conv}", headers=seneca["headers"])
    assert r.status_code == 200 and [m["role"] for m in r.json()["messages"]][:2] == ["user", "assistant"]
    r = await client.post("/api/v1/chat", headers=seneca["headers"], json={"message": "hi", "conversation_id": conv})
    assert r.status_code == 404


async def test_client_id_makes_retries_idempotent(client: AsyncTestClient[Any], seneca: dict[str, Any]) -> None:
    first = await chat(client, seneca["member"]["headers"], "What do busy people lack?", client_id="c-123")
    again = await chat(
        client,
        seneca["member"]["headers"],
        "What do busy people lack?",
        client_id="c-123",
        conversation_id=first["conversation_id"],
    )
    assert again["message_id"] == first["message_id"] and again["reply"] == first["reply"]


async def test_bad_chat_input(client: AsyncTestClient[Any], seneca: dict[str, Any]) -> None:
    h = seneca["member"]["headers"]
    assert (await client.post("/api/v1/chat", headers=h, json={"message": ""})).status_code in (400, 422)
    assert (await client.post("/api/v1/chat", headers=h, json={"message": 5})).status_code in (400, 422)
    r = await client.post(
        "/api/v1/chat", headers=h, json={"message": "hi", "conversation_id": "00000000-0000-0000-0000-000000000000"}
    )
    assert r.status_code == 404 and r.json()["error"] == "not_found"
    # A member token cannot reach staff endpoints.
    assert (await client.get("/api/v1/knowledge/documents", headers=h)).status_code == 403
    assert (await client.get("/api/v1/twin/persona", headers=h)).status_code == 403


async def test_hard_moment_opens_warmly_in_llm_mode_too(
    client: AsyncTestClient[Any], seneca: dict[str, Any], fake_llm: FakeOllama
) -> None:
    """The acknowledgement comes first whichever mode speaks, and the reply is never a bare refusal."""
    body = await chat(client, seneca["member"]["headers"], "My mother died last month and I feel I wasted our time.")
    assert body["reply"].startswith("I am so sorry for your loss."), body["reply"]
    assert body["safety"] is None
    if body["grounded"]:
        assert body["mode"] == "llm" and body["citations"]
        assert "You asked:" in body["reply"]  # the fake model's words follow the acknowledgement
    else:
        assert "someone close" in body["reply"]


async def test_small_talk_and_out_of_scope_get_no_quotes(client: AsyncTestClient[Any], seneca: dict[str, Any]) -> None:
    member = seneca["member"]["headers"]
    hello = await chat(client, member, "Hello there!")
    assert (hello["grounded"], hello["citations"], hello["mode"]) == (False, [], "extractive")
    assert hello["reply"].startswith("Hello!")
    dose = await chat(client, member, "How many mg of melatonin should I take to sleep?")
    assert dose["grounded"] is False and "pharmacist" in dose["reply"]
