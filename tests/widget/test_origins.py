"""Allowed origins: how the creator's list is read, and which browser origins it lets in."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from backend.channels.origins import frame_ancestors, normalize_origin, normalize_origins, origin_allowed
from backend.channels.schemas import ORIGIN

OWN = ("http://127.0.0.1:8000",)


@pytest.mark.parametrize(
    ("typed", "canonical"),
    [
        ("https://Example.com", "https://example.com"),
        ("https://example.com/", "https://example.com"),
        ("https://example.com:443", "https://example.com"),
        ("http://localhost:3000", "http://localhost:3000"),
        ("http://127.0.0.1:8080", "http://127.0.0.1:8080"),
        ("https://*.example.com", "https://*.example.com"),
        ("  https://shop.example.co.uk  ", "https://shop.example.co.uk"),
    ],
)
def test_origins_are_read_the_way_browsers_send_them(typed: str, canonical: str) -> None:
    assert normalize_origin(typed) == canonical


@pytest.mark.parametrize(
    "bad",
    [
        "example.com",
        "ftp://example.com",
        "https://example.com/path",
        "https://example.com?x=1",
        "https://user@example.com",
        "https://exa mple.com",
        "https://*",
        "https://ex*ample.com",
        "https://example.com:99999",
        "javascript:alert(1)",
        "null",
        "",
    ],
)
def test_what_is_not_an_origin_is_refused(bad: str) -> None:
    with pytest.raises(ValueError):
        normalize_origin(bad)


def test_a_list_names_its_bad_entry_and_drops_duplicates() -> None:
    assert normalize_origins(["https://a.com", "https://A.com/", "https://b.com"]) == ["https://a.com", "https://b.com"]
    with pytest.raises(ValueError, match=r"allowed_origins\[1\]"):
        normalize_origins(["https://a.com", "a.com"])


def test_origin_checks() -> None:
    allowed = ["https://coach.example.com", "https://*.academy.io"]
    assert origin_allowed("https://coach.example.com", allowed, OWN)
    assert origin_allowed("https://COACH.example.com:443", allowed, OWN)
    assert origin_allowed("https://learn.academy.io", allowed, OWN)
    assert origin_allowed("https://a.b.academy.io", allowed, OWN)
    assert not origin_allowed("https://academy.io", allowed, OWN)  # the wildcard is for subdomains
    assert not origin_allowed("http://learn.academy.io", allowed, OWN)  # scheme matters
    assert not origin_allowed("https://evil.example.com", allowed, OWN)
    assert not origin_allowed("https://coach.example.com.evil.io", allowed, OWN)
    assert not origin_allowed("https://evilacademy.io", allowed, OWN)
    assert not origin_allowed(None, allowed, OWN)  # a browser always sends one; no Origin, no session
    assert not origin_allowed("null", allowed, OWN)  # sandboxed frames, file://
    assert origin_allowed("http://127.0.0.1:8000", allowed, OWN)  # the chat page and companion page themselves
    assert origin_allowed("https://anything.example", [], OWN)  # an empty list allows every site
    assert origin_allowed(None, [], OWN)


def test_frame_ancestors() -> None:
    assert frame_ancestors([]) == "frame-ancestors *"
    assert frame_ancestors(["https://a.com", "https://*.b.io"]) == "frame-ancestors 'self' https://a.com https://*.b.io"
    # The platform's own origins (the hub's live preview) join a list, never replace "any site".
    hub = "http://127.0.0.1:3000"
    assert frame_ancestors(["https://a.com"], (hub, "https://a.com")) == f"frame-ancestors 'self' https://a.com {hub}"
    assert frame_ancestors([], (hub,)) == "frame-ancestors *"


@settings(max_examples=500, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.from_regex(ORIGIN, fullmatch=True).filter(lambda s: len(s) <= 255))
def test_what_the_openapi_allows_the_api_accepts(origin: str) -> None:
    """The schema's pattern for an allowed origin and the parser agree (a schema-valid list is never a 422)."""
    normalize_origin(origin)
