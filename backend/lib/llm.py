"""The twin's LLM, through Ollama's official client, with an honest signal when it cannot answer.

Callers check `status()` (cached) to choose a mode, and catch `LLMUnavailable` from `stream_chat`/`chat`
to fall back to the extractive answer. Nothing here retries: a retry would only delay the fallback.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import ollama

STATUS_TTL = 15.0  # seconds a status probe is trusted; a /health poll must not hammer Ollama


class LLMUnavailable(Exception):
    """The LLM cannot produce an answer now (unreachable, model missing, too slow to start)."""


class LLMInterrupted(LLMUnavailable):
    """The stream broke after some text was already yielded; `partial` holds that text."""

    def __init__(self, message: str, partial: str) -> None:
        super().__init__(message)
        self.partial = partial


@dataclass
class LLMStatus:
    mode: str  # "llm" | "extractive"
    model: str
    reachable: bool
    detail: str


# Errors that mean "no usable LLM right now". httpx.ConnectError arrives raw from streaming requests,
# ConnectionError from non-streaming ones (the client translates it there only).
_DOWN = (ConnectionError, httpx.TransportError, TimeoutError, ollama.ResponseError)


def _same_model(wanted: str, available: str) -> bool:
    # Ollama names default to the ":latest" tag: "llama3.2" and "llama3.2:latest" are one model.
    def norm(name: str) -> str:
        return name if ":" in name else f"{name}:latest"

    return norm(wanted) == norm(available)


def _describe(exc: BaseException) -> str:
    if isinstance(exc, ollama.ResponseError):
        return f"ollama error {exc.status_code}: {exc.error}"
    if isinstance(exc, TimeoutError | httpx.TimeoutException):
        return "ollama timed out"
    return f"ollama unreachable: {type(exc).__name__}"


class LLM:
    def __init__(self, base_url: str, model: str, timeout: float = 60.0, first_token_timeout: float = 20.0) -> None:
        self.base_url = base_url
        self.model = model
        self.timeout = timeout
        self.first_token_timeout = first_token_timeout
        # A short connect timeout: an unroutable host must fail fast, not after `timeout`.
        self._client = ollama.AsyncClient(host=base_url, timeout=httpx.Timeout(timeout, connect=min(5.0, timeout)))
        self._status: LLMStatus | None = None
        self._status_at = 0.0
        self._lock = asyncio.Lock()

    def _remember(self, status: LLMStatus) -> LLMStatus:
        self._status, self._status_at = status, time.monotonic()
        return status

    def _mark_down(self, exc: BaseException) -> LLMUnavailable:
        # A failed call is fresher news than the cached probe: later requests go extractive at once.
        reachable = isinstance(exc, ollama.ResponseError)
        self._remember(LLMStatus("extractive", self.model, reachable, _describe(exc)))
        return LLMUnavailable(_describe(exc))

    async def status(self, *, refresh: bool = False) -> LLMStatus:
        if not refresh and self._status and time.monotonic() - self._status_at < STATUS_TTL:
            return self._status
        async with self._lock:
            if not refresh and self._status and time.monotonic() - self._status_at < STATUS_TTL:
                return self._status
            try:
                listed = await asyncio.wait_for(self._client.list(), timeout=min(5.0, self.timeout))
            except _DOWN as exc:
                return self._remember(LLMStatus("extractive", self.model, False, _describe(exc)))
            names = [m.model or "" for m in listed.models]
            if any(_same_model(self.model, n) for n in names):
                return self._remember(LLMStatus("llm", self.model, True, "ok"))
            detail = f"model '{self.model}' not pulled (available: {', '.join(names) or 'none'})"
            return self._remember(LLMStatus("extractive", self.model, True, detail))

    async def stream_chat(
        self, messages: list[dict[str, str]], *, options: dict[str, Any] | None = None
    ) -> AsyncIterator[str]:
        """Yield content deltas. Raises LLMUnavailable before the first token, LLMInterrupted after it."""
        stream = await self._client.chat(model=self.model, messages=messages, stream=True, options=options)
        deadline = time.monotonic() + self.first_token_timeout
        produced: list[str] = []
        try:
            while True:
                # Until text flows, the first-token deadline rules; afterwards httpx's read timeout does.
                wait = max(0.0, deadline - time.monotonic()) if not produced else self.timeout
                try:
                    chunk = await asyncio.wait_for(anext(stream), timeout=wait)
                except StopAsyncIteration:
                    return
                except _DOWN as exc:
                    if not produced:
                        raise self._mark_down(exc) from exc
                    raise LLMInterrupted(_describe(exc), "".join(produced)) from exc
                text = chunk.message.content or ""
                if text:
                    produced.append(text)
                    yield text
                if chunk.done:
                    return
        finally:
            # Close the HTTP stream now, not at garbage collection, when the consumer stops early.
            aclose = getattr(stream, "aclose", None)
            if aclose is not None:
                await aclose()

    async def chat(self, messages: list[dict[str, str]], *, options: dict[str, Any] | None = None) -> str:
        try:
            response = await asyncio.wait_for(
                self._client.chat(model=self.model, messages=messages, stream=False, options=options),
                timeout=self.timeout,
            )
        except _DOWN as exc:
            raise self._mark_down(exc) from exc
        return response.message.content or ""

    async def health(self) -> dict[str, Any]:
        s = await self.status()
        return {"mode": s.mode, "model": s.model, "reachable": s.reachable, "detail": s.detail}

    async def aclose(self) -> None:
        await self._client.close()
