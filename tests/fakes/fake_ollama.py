"""A fake Ollama server on loopback that speaks the real HTTP API, for driving the real `ollama` client.

It runs its own asyncio loop in a thread, so it works under sync tests and inside a running event loop:
delays on the server side never block the test's loop.
"""

from __future__ import annotations

import asyncio
import json
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import TracebackType
from typing import Any

ReplyFn = Callable[[list[dict[str, Any]]], str]
_REASONS = {200: "OK", 400: "Bad Request", 404: "Not Found", 405: "Method Not Allowed"}


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
class Request:
    method: str
    path: str
    headers: dict[str, str]
    body: Any


@dataclass
class FakeOllama:
    models: list[str] = field(default_factory=lambda: ["llama3.2:latest"])
    first_token_delay: float = 0.0
    token_delay: float = 0.0
    reply_fn: ReplyFn = default_reply
    model_missing: bool = False  # answer 404 for every model, as if nothing were pulled
    host: str = "127.0.0.1"
    requests: list[Request] = field(default_factory=list)
    port: int = 0
    _loop: asyncio.AbstractEventLoop | None = None
    _server: asyncio.Server | None = None
    _thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    # --- lifecycle -------------------------------------------------------------------------------------
    def start(self) -> FakeOllama:
        ready = threading.Event()
        self._loop = asyncio.new_event_loop()

        def run() -> None:
            assert self._loop is not None
            asyncio.set_event_loop(self._loop)
            self._server = self._loop.run_until_complete(asyncio.start_server(self._handle, self.host, 0))
            self.port = self._server.sockets[0].getsockname()[1]
            ready.set()
            self._loop.run_forever()

        self._thread = threading.Thread(target=run, name="fake-ollama", daemon=True)
        self._thread.start()
        ready.wait(5)
        return self

    def stop(self) -> None:
        if not self._loop or not self._thread:
            return

        async def shutdown() -> None:
            if self._server:
                self._server.close()
            for task in asyncio.all_tasks():
                if task is not asyncio.current_task():
                    task.cancel()

        asyncio.run_coroutine_threadsafe(shutdown(), self._loop).result(5)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)
        self._loop.close()
        self._loop = self._thread = None

    def __enter__(self) -> FakeOllama:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    async def __aenter__(self) -> FakeOllama:
        return await asyncio.to_thread(self.start)

    async def __aexit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        await asyncio.to_thread(self.stop)

    # --- HTTP ------------------------------------------------------------------------------------------
    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            line = (await reader.readline()).decode("latin-1").strip()
            if not line:
                return
            method, target, _ = line.split(" ", 2)
            headers: dict[str, str] = {}
            while (h := (await reader.readline()).decode("latin-1").strip()) != "":
                k, _, v = h.partition(":")
                headers[k.strip().lower()] = v.strip()
            raw = await reader.readexactly(int(headers.get("content-length", "0") or 0))
            body = json.loads(raw) if raw else None
            path = target.split("?", 1)[0]
            self.requests.append(Request(method, path, headers, body))
            await self._route(method, path, body, writer)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass  # the client went away (a timeout on its side): nothing to answer
        finally:
            writer.close()

    async def _route(self, method: str, path: str, body: Any, writer: asyncio.StreamWriter) -> None:
        if (method, path) == ("GET", "/api/version"):
            await self._json(writer, 200, {"version": "0.6.3-fake"})
        elif (method, path) == ("GET", "/api/tags"):
            await self._json(writer, 200, {"models": [self._model_entry(m) for m in self.models]})
        elif (method, path) == ("POST", "/api/chat"):
            await self._chat(body or {}, writer)
        elif path in ("/api/version", "/api/tags", "/api/chat"):
            await self._json(writer, 405, {"error": "method not allowed"})
        else:
            await self._json(writer, 404, {"error": "404 page not found"})

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
            await self._json(writer, 404, {"error": f"model '{model}' not found"})
            return
        reply = self.reply_fn(body.get("messages", []))
        base = {"model": model, "created_at": datetime.now(UTC).isoformat()}
        final = {**base, "done": True, "done_reason": "stop", "total_duration": 1, "eval_count": len(reply.split())}
        await asyncio.sleep(self.first_token_delay)
        if body.get("stream", True) is False:
            await self._json(writer, 200, {**final, "message": {"role": "assistant", "content": reply}})
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

    @staticmethod
    async def _json(writer: asyncio.StreamWriter, status: int, obj: dict[str, Any]) -> None:
        data = json.dumps(obj).encode()
        head = (
            f"HTTP/1.1 {status} {_REASONS.get(status, 'Error')}\r\nContent-Type: application/json; charset=utf-8\r\n"
            f"Content-Length: {len(data)}\r\nConnection: close\r\n\r\n"
        )
        writer.write(head.encode() + data)
        await writer.drain()
