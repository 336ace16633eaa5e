"""Request decoding: JSON that arrives from outside (request bodies, socket frames) is checked here, once.

Refused with a clear 400 before anything reads it: nesting deeper than `MAX_JSON_DEPTH` (10,000 nested
arrays used to overflow the decoder's recursion and answer 500 with a traceback) and NUL characters in
strings (PostgreSQL text cannot hold them; they used to come back as "the database is unavailable").
"""

from __future__ import annotations

import re
from itertools import accumulate
from typing import Any

import msgspec
from litestar import Request
from litestar.exceptions import SerializationException
from litestar.serialization import decode_json
from litestar.types import Empty

from backend.lib.errors import DomainError

MAX_JSON_DEPTH = 32  # the deepest real body (a program graph's condition rules) nests 6 levels
_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.S)
_NUL_ESCAPE = re.compile(rb"(\\+)u0000")
_DEPTH = {ord("["): 1, ord("{"): 1, ord("]"): -1, ord("}"): -1}


class MalformedJson(DomainError):
    code, status = "malformed_body", 400


def check_json(raw: bytes, max_depth: int = MAX_JSON_DEPTH) -> None:
    """Raise MalformedJson if `raw` nests deeper than `max_depth` or holds a NUL character in a string."""
    if b"u0000" in raw and any(len(m.group(1)) % 2 for m in _NUL_ESCAPE.finditer(raw)):
        raise MalformedJson("Text may not contain NUL characters (\\u0000)")
    if raw.count(b"[") + raw.count(b"{") <= max_depth:
        return  # cannot nest deeper than its brackets: the common case costs two counts
    brackets = _STRING.sub(b"", raw).translate(None, delete=bytes(set(range(256)) - set(_DEPTH)))
    if max(accumulate(_DEPTH[b] for b in brackets), default=0) > max_depth:
        raise MalformedJson(f"The JSON is nested more than {max_depth} levels deep")


def loads(raw: str | bytes, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """Decode checked JSON (socket frames); a ValueError says what is wrong."""
    data = raw.encode() if isinstance(raw, str) else raw
    try:
        check_json(data, max_depth)
        return msgspec.json.decode(data)
    except MalformedJson as exc:
        raise ValueError(exc.detail) from exc
    except (msgspec.DecodeError, RecursionError) as exc:
        raise ValueError(f"not valid JSON: {exc}"[:200]) from exc


class ApiRequest(Request[Any, Any, Any]):
    """The app's request class: its JSON body is checked before it is decoded."""

    async def json(self) -> Any:
        if self._json is Empty and self._connection_state.json is Empty:
            body = await self.body()
            check_json(body)
            try:
                self._json = self._connection_state.json = decode_json(
                    body or b"null", type_decoders=self.route_handler.resolve_type_decoders()
                )
            except RecursionError as exc:  # unreachable after the depth check; kept as the decoder's own limit
                raise SerializationException("The JSON is nested too deeply") from exc
        return await super().json()
