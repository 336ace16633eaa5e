"""How the hub writes the API's values for people: percentages, times, a passage's place in its document."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any


def percent(value: Any) -> int:
    """A 0..1 fraction (or a 0..100 figure) as a whole percentage, clamped to 0..100."""
    try:
        v = float(value or 0)
    except (TypeError, ValueError):
        return 0
    return max(0, min(100, round(v * 100 if v <= 1 else v)))


def minute(value: datetime | str | None) -> str:
    """A timestamp to the minute, `2026-05-01 09:30` (empty when there is none)."""
    if value is None:
        return ""
    text = value.isoformat() if isinstance(value, datetime) else str(value)
    return text[:16].replace("T", " ")


def day(value: datetime | str | None) -> str:
    return minute(value)[:10]


def location(place: Any) -> str:
    """A citation's place in its document, for people: `p. 3 · On anger` (the API sends a dict)."""
    if isinstance(place, str):
        return place
    if not isinstance(place, dict):
        return ""
    parts = []
    if place.get("page") is not None:
        parts.append(f"p. {place['page']}")
    if place.get("heading"):
        parts.append(str(place["heading"]))
    if not parts and place.get("offset") is not None:
        parts.append(f"char {place['offset']}")
    return " · ".join(parts)


_SENTENCE_END = re.compile(r"[.!?…][\"”’)\]]*\s+(?=[\"“‘(\[]?[A-Z0-9])")


def from_sentence(text: str) -> str:
    """A passage as people read it: from its first sentence. Passages overlap their neighbours by a few dozen
    words, so one may begin mid-sentence; that fragment is the end of the passage before it, and is left out."""
    body = text.strip()
    if not body or not body[0].islower():
        return body
    cut = _SENTENCE_END.search(body)
    if cut is None or cut.end() > len(body) * 0.6:
        return body
    return body[cut.end() :]


RELEVANCE = ((0.6, "Strong match"), (0.45, "Good match"), (0.3, "Partial match"))


def relevance(score: float) -> str:
    """A search score (similarity of the question to the passage's closest sentence) in words."""
    return next((label for floor, label in RELEVANCE if score >= floor), "Weak match")
