"""A JSON answer sent as it is: for hot reads and for errors answered before a handler runs."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from litestar.types import Receive, Scope, Send

_JSON = (b"content-type", b"application/json")


class ReadyJSON:
    """An encoded JSON body as an ASGI app, which Litestar sends without a second look.

    Litestar's `ASGIResponse` builds a `MutableScopeHeaders` per response and fills it with `setdefault`
    (~4 us of the authenticated read); this writes its two or three header lines directly. A handler that
    returns it documents its real schema with `responses=` on the route.
    """

    __slots__ = ("body", "headers", "status")

    def __init__(self, body: bytes, status: int = 200, headers: Sequence[tuple[bytes, bytes]] = ()) -> None:
        self.body, self.status, self.headers = body, status, headers

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers: list[Any] = [_JSON, (b"content-length", str(len(self.body)).encode()), *self.headers]
        await send({"type": "http.response.start", "status": self.status, "headers": headers})
        await send({"type": "http.response.body", "body": self.body, "more_body": False})
