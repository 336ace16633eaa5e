"""A fake Ollama server on loopback that speaks the real HTTP API, for driving the real `ollama` client.

It runs on `LoopbackServer` (its own loop in a thread), so delays on the server side never block the test's loop.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from tests.fakes.loopback import LoopbackServer, Request

ReplyFn = Callable[[list[dict[str, Any]]], str]


def default_reply(messages: list[dict[str, Any]]) -> str:
    """Deterministic: quotes the first [S1]-style source id found in the system prompt."""
    system = " ".join(m.get("content", "") for m in messages if m.get("role") == "system")
    found = re.search(r"\[S\d+\]", system)
    question = next((m.get("content", "") for m in reversed(messages) if m.get("role") == "user"), "")
    cite = f" {found.group(0)}" if found else ""
    return f"You asked: {question[:60]}. Consider what is within your power, and act on it.{cite}"


def _norm(name: str) -> str:
    return name if ":" in name else f"{name}:latest"


@dataclass
class FakeOllama(LoopbackServer):
    models: list[str] = field(default_factory=lambda: ["llama3.2:latest"])
    first_token_delay: float = 0.0
    token_delay: float = 0.0
    reply_fn: ReplyFn = default_reply
    model_missing: bool = False  # answer 404 for every model, as if nothing were pulled

    keep_alive = False  # Ollama's streamed answers end with the connection

    def __post_init__(self) -> None:
        LoopbackServer.__init__(self)

    async def route(self, request: Request, writer: asyncio.StreamWriter) -> None:
        await self._route(request.method, request.path, request.body, writer)

    async def _route(self, method: str, path: str, body: Any, writer: asyncio.StreamWriter) -> None:
        if (method, path) == ("GET", "/api/version"):
            await self.answer(writer, 200, {"version": "0.6.3-fake"})
        elif (method, path) == ("GET", "/api/tags"):
            await self.answer(writer, 200, {"models": [self._model_entry(m) for m in self.models]})
        elif (method, path) == ("POST", "/api/chat"):
            await self._chat(body or {}, writer)
        elif path in ("/api/version", "/api/tags", "/api/chat"):
            await self.answer(writer, 405, {"error": "method not allowed"})
        else:
            await self.answer(writer, 404, {"error": "404 page not found"})

    @staticmethod
    def _model_entry(name: str) -> dict[str, Any]:
        return {
            "name": name,
            "model": name,
            "modified_at": "2025-01-01T00:00:00Z",
            "size": 2019393189,
            "digest": "a80c4f17acd55265feec403c7aef86be0c25983ab279d83f3bcd3abbcb5b8b72",
            "details": {"format": "gguf", "family": "llama", "parameter_size": "3.2B", "quantization_level": "Q4_K_M"},
        }

    async def _chat(self, body: dict[str, Any], writer: asyncio.StreamWriter) -> None:
        model = str(body.get("model", ""))
        if self.model_missing or _norm(model) not in {_norm(m) for m in self.models}:
            await self.answer(writer, 404, {"error": f"model '{model}' not found"})
            return
        reply = self.reply_fn(body.get("messages", []))
        base = {"model": model, "created_at": datetime.now(UTC).isoformat()}
        final = {**base, "done": True, "done_reason": "stop", "total_duration": 1, "eval_count": len(reply.split())}
        await asyncio.sleep(self.first_token_delay)
        if body.get("stream", True) is False:
            await self.answer(writer, 200, {**final, "message": {"role": "assistant", "content": reply}})
            return
        # Real Ollama streams NDJSON with chunked transfer encoding, one JSON object per line.
        writer.write(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/x-ndjson\r\n"
            b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
        )
        for i, token in enumerate(re.findall(r"\S+\s*", reply)):
            if i and self.token_delay:
                await asyncio.sleep(self.token_delay)
            part = {**base, "message": {"role": "assistant", "content": token}, "done": False}
            await self._chunk(writer, part)
        await self._chunk(writer, {**final, "message": {"role": "assistant", "content": ""}})
        writer.write(b"0\r\n\r\n")
        await writer.drain()

    @staticmethod
    async def _chunk(writer: asyncio.StreamWriter, obj: dict[str, Any]) -> None:
        data = json.dumps(obj).encode() + b"\n"
        writer.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        await writer.drain()
