"""The real `ollama` client against the fake server: streaming, non-streaming, and every fallback path."""

from __future__ import annotations

import socket

import pytest

from backend.lib.llm import LLM, LLMUnavailable
from tests.fakes.fake_ollama import FakeOllama

MESSAGES = [
    {"role": "system", "content": "Answer from the sources. [S1] Time is short. [S2] Fear less."},
    {"role": "user", "content": "How should I use my time?"},
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def test_streaming_yields_deltas_and_cites_first_source() -> None:
    async with FakeOllama(models=["llama3.2:latest"]) as fake:
        llm = LLM(fake.url, "llama3.2")
        parts = [p async for p in llm.stream_chat(MESSAGES, options={"temperature": 0.2})]
        await llm.aclose()
    assert len(parts) > 3  # several deltas, not one blob
    assert "".join(parts).endswith("[S1]")
    chat = next(r for r in fake.requests if r.path == "/api/chat")
    assert chat.body["stream"] is True and chat.body["options"] == {"temperature": 0.2}
    assert chat.body["messages"][1]["content"] == MESSAGES[1]["content"]


async def test_non_streaming_chat_and_status_llm_mode() -> None:
    with FakeOllama(models=["llama3.2:latest"], reply_fn=lambda msgs: "Farewell. [S2]") as fake:
        llm = LLM(fake.url, "llama3.2:latest")
        assert await llm.chat(MESSAGES) == "Farewell. [S2]"
        status = await llm.status()
        assert (status.mode, status.reachable) == ("llm", True)
        assert await llm.health() == {"mode": "llm", "model": "llama3.2:latest", "reachable": True, "detail": "ok"}
        await llm.aclose()
    assert [r.body["stream"] for r in fake.requests if r.path == "/api/chat"] == [False]


async def test_status_is_cached_until_refresh() -> None:
    async with FakeOllama() as fake:
        llm = LLM(fake.url, "llama3.2")
        await llm.status()
        await llm.status()
        assert sum(r.path == "/api/tags" for r in fake.requests) == 1
        await llm.status(refresh=True)
        assert sum(r.path == "/api/tags" for r in fake.requests) == 2
        await llm.aclose()


async def test_unreachable_port_raises_and_reports_extractive() -> None:
    llm = LLM(f"http://127.0.0.1:{free_port()}", "llama3.2", timeout=5)
    with pytest.raises(LLMUnavailable):
        [p async for p in llm.stream_chat(MESSAGES)]
    with pytest.raises(LLMUnavailable):
        await llm.chat(MESSAGES)
    status = await llm.status(refresh=True)
    assert (status.mode, status.reachable) == ("extractive", False)
    await llm.aclose()


async def test_model_missing_is_extractive_and_chat_raises() -> None:
    async with FakeOllama(models=["mistral:7b"]) as fake:
        llm = LLM(fake.url, "llama3.2")
        status = await llm.status()
        assert (status.mode, status.reachable) == ("extractive", True)
        assert "not pulled" in status.detail
        with pytest.raises(LLMUnavailable, match="404"):
            [p async for p in llm.stream_chat(MESSAGES)]
        with pytest.raises(LLMUnavailable, match="not found"):
            await llm.chat(MESSAGES)
        await llm.aclose()


async def test_model_missing_mode_answers_404_even_if_listed() -> None:
    async with FakeOllama(models=["llama3.2:latest"], model_missing=True) as fake:
        llm = LLM(fake.url, "llama3.2")
        with pytest.raises(LLMUnavailable):
            [p async for p in llm.stream_chat(MESSAGES)]
        # the failure is remembered: the next caller goes extractive without waiting for a probe
        assert (await llm.status()).mode == "extractive"
        await llm.aclose()


async def test_slow_first_token_times_out_but_slow_tokens_after_it_do_not() -> None:
    async with FakeOllama(first_token_delay=1.5) as fake:
        llm = LLM(fake.url, "llama3.2", first_token_timeout=0.3)
        with pytest.raises(LLMUnavailable, match="timed out"):
            [p async for p in llm.stream_chat(MESSAGES)]
        await llm.aclose()
    async with FakeOllama(first_token_delay=0.05, token_delay=0.1, reply_fn=lambda m: "one two three four") as fake:
        llm = LLM(fake.url, "llama3.2", first_token_timeout=0.3)
        assert "".join([p async for p in llm.stream_chat(MESSAGES)]) == "one two three four"
        await llm.aclose()
