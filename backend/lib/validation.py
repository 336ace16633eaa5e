"""Checks of input values shared by several features (each raises the one `InvalidInput` error)."""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from backend.lib.errors import InvalidInput


def check_timezone(name: str, field: str = "timezone") -> None:
    """An IANA time zone name (`Europe/Paris`), or a 400 naming the field."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise InvalidInput(f"{field}: unknown time zone {name!r}") from exc
