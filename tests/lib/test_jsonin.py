"""The one JSON check for request bodies and socket frames: depth and NUL, with no false alarms."""

from __future__ import annotations

import json

import pytest

from backend.lib.jsonin import MAX_JSON_DEPTH, MalformedJson, check_json, loads
from backend.twin.ws import _parse


def test_depth() -> None:
    check_json(b"[" * MAX_JSON_DEPTH + b"]" * MAX_JSON_DEPTH)
    for deep in (b"[" * 10_000 + b"]" * 10_000, b'{"a":' * 40 + b"1" + b"}" * 40):
        with pytest.raises(MalformedJson, match="nested more than"):
            check_json(deep)
    # Brackets inside strings are text, not nesting.
    check_json(json.dumps({"text": "[" * 5000, "more": "{{{" * 100}).encode())


def test_nul() -> None:
    with pytest.raises(MalformedJson, match="NUL"):
        check_json(json.dumps({"name": "a\x00b"}).encode())
    with pytest.raises(MalformedJson, match="NUL"):
        check_json(b'{"a": "\\\\\\u0000"}')  # an escaped backslash, then a NUL
    check_json(json.dumps({"text": "a literal \\u0000 in prose"}).encode())  # backslash + 'u0000': text


def test_socket_frames_use_the_same_check() -> None:
    for frame in ("[" * 10_000 + "]" * 10_000, json.dumps({"type": "message", "text": "a\x00b"}), "not json"):
        with pytest.raises(ValueError):
            _parse(frame)
    assert loads('{"type": "ping"}') == {"type": "ping"}
