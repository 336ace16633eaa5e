"""A small HTTP/1.1 server on loopback, the base of the fake providers (Ollama, Telegram, WhatsApp).

Each fake runs its own asyncio loop in a thread, so it works under sync tests and inside a running event
loop: delays on the server side never block the test's loop. Subclasses implement `route`.
"""

from __future__ import annotations

import asyncio
import json
import threading
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Self
from urllib.parse import parse_qsl

_REASONS = {
    200: "OK",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    429: "Too Many Requests",
    500: "Internal Server Error",
}


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str]
    body: Any  # parsed JSON, a dict for form bodies, else None
    query: dict[str, str] = field(default_factory=dict)
    raw: bytes = b""


def parse_body(headers: dict[str, str], raw: bytes) -> Any:
    if not raw:
        return None
    kind = headers.get("content-type", "")
    if "application/x-www-form-urlencoded" in kind:
        return dict(parse_qsl(raw.decode()))
    try:
        return json.loads(raw)
    except ValueError:
        return None


class LoopbackServer:
    """Serve `route` on 127.0.0.1 (a free port) in a thread of its own; every request is kept in `requests`."""

    host = "127.0.0.1"

    def __init__(self) -> None:
        self.port = 0
        self.requests: list[Request] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: asyncio.Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    # --- lifecycle -------------------------------------------------------------------------------------
    def start(self) -> Self:
        ready = threading.Event()
        self._loop = asyncio.new_event_loop()

        def run() -> None:
            assert self._loop is not None
            asyncio.set_event_loop(self._loop)
            self._server = self._loop.run_until_complete(asyncio.start_server(self._handle, self.host, 0))
            self.port = self._server.sockets[0].getsockname()[1]
            ready.set()
            self._loop.run_forever()

        self._thread = threading.Thread(target=run, name=type(self).__name__, daemon=True)
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

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    async def __aenter__(self) -> Self:
        return await asyncio.to_thread(self.start)

    async def __aexit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        await asyncio.to_thread(self.stop)

    # --- HTTP ------------------------------------------------------------------------------------------
    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:  # keep-alive: httpx reuses connections, as the real clients do
                line = (await reader.readline()).decode("latin-1").strip()
                if not line:
                    return
                method, target, _ = line.split(" ", 2)
                headers: dict[str, str] = {}
                while (h := (await reader.readline()).decode("latin-1").strip()) != "":
                    k, _, v = h.partition(":")
                    headers[k.strip().lower()] = v.strip()
                raw = await reader.readexactly(int(headers.get("content-length", "0") or 0))
                path, _, query = target.partition("?")
                request = Request(method, path, headers, parse_body(headers, raw), dict(parse_qsl(query)), raw)
                self.requests.append(request)
                await self.route(request, writer)
                if headers.get("connection", "").lower() == "close" or not self.keep_alive:
                    return
        except (ConnectionError, asyncio.IncompleteReadError):
            pass  # the client went away (a timeout on its side): nothing to answer
        finally:
            writer.close()

    keep_alive = True

    async def route(self, request: Request, writer: asyncio.StreamWriter) -> None:
        raise NotImplementedError

    async def answer(self, writer: asyncio.StreamWriter, status: int, obj: Any) -> None:
        data = json.dumps(obj).encode()
        close = "" if self.keep_alive else "Connection: close\r\n"
        head = (
            f"HTTP/1.1 {status} {_REASONS.get(status, 'Error')}\r\nContent-Type: application/json; charset=utf-8\r\n"
            f"Content-Length: {len(data)}\r\n{close}\r\n"
        )
        writer.write(head.encode() + data)
        await writer.drain()
