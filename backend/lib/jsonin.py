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

from backend.lib.errors import DomainError, InvalidInput

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


def _body_type(handler: Any) -> Any:
    """The type a route's `data` parameter declares (None: it takes no body)."""
    field = handler.parsed_fn_signature.parameters.get("data")
    return None if field is None else field.annotation


def check_body(raw: bytes, target: Any) -> None:
    """Decode strictly, as the schema states: Litestar converts leniently (0 for false, "1" for 1), so a body
    the schema forbids was accepted. A ValidationError becomes a 422 naming the field, as Litestar's do."""
    try:
        msgspec.json.decode(raw, type=target, strict=True)
    except msgspec.ValidationError as exc:
        text, _, path = str(exc).rpartition(" - at `$")
        field = path.rstrip("`").lstrip(".") if text else ""
        raise InvalidInput(f"{field or 'data'}: {_plain(text or str(exc))}") from exc
    except msgspec.DecodeError:
        pass  # malformed JSON: Litestar's decoder below answers it as a 400


_BOUNDS = [
    (re.compile(r"Expected `str` of length >= (\d+)"), r"must be at least \1 characters long"),
    (re.compile(r"Expected `str` of length <= (\d+)"), r"must be at most \1 characters long"),
    (re.compile(r"Expected `(?:array|object)` of length <= (\d+)"), r"must have at most \1 items"),
    (re.compile(r"Expected `(?:array|object)` of length >= (\d+)"), r"must have at least \1 items"),
]


def _plain(text: str) -> str:
    """msgspec's bound messages in words people read ("must be at least 10 characters long")."""
    for pattern, words in _BOUNDS:
        text = pattern.sub(words, text)
    return text


class ApiRequest(Request[Any, Any, Any]):
    """The app's request class: its JSON body is checked, then decoded strictly, before Litestar reads it."""

    async def json(self) -> Any:
        if self._json is Empty and self._connection_state.json is Empty:
            body = await self.body()
            check_json(body)
            target = _body_type(self.route_handler)
            if body and target is not None:
                check_body(body, target)
            try:
                self._json = self._connection_state.json = decode_json(
                    body or b"null", type_decoders=self.route_handler.resolve_type_decoders()
                )
            except RecursionError as exc:  # unreachable after the depth check; kept as the decoder's own limit
                raise SerializationException("The JSON is nested too deeply") from exc
        return await super().json()
