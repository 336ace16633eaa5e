"""How the hub writes the API's values for people: percentages, times, a passage's place in its document."""

from __future__ import annotations

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
