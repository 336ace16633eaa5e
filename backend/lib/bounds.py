"""The one place for the ranges of numbers, ids and dates that requests may carry.

Values past these reach PostgreSQL (int4 columns, OFFSET's int8) or date arithmetic and fail there;
checked while the request is decoded, they are a 4xx naming the field, and the OpenAPI states the range.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated
from zoneinfo import available_timezones

import msgspec
from litestar.params import Parameter

INT32_MAX = 2**31 - 1  # PostgreSQL `integer`: versions, revisions, counts

# Fields of request bodies
Int32 = Annotated[int, msgspec.Meta(ge=0, le=INT32_MAX)]

# Path and query parameters
VersionParam = Annotated[int, Parameter(ge=1, le=INT32_MAX, description="A version number")]
OffsetParam = Annotated[int, Parameter(ge=0, le=INT32_MAX, description="Rows to skip")]

# Dates: programs add weeks and months to them; Python's dates end at year 9999.
EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
LATEST = datetime(2200, 1, 1, tzinfo=UTC)


# A date-time a request carries; JSON Schema has no date range, so the range is in its description.
Moment = Annotated[datetime, msgspec.Meta(description="A date-time between 1900 and 2200")]


def check_moment(value: datetime | None, name: str) -> None:
    """For a Struct's `__post_init__`: msgspec answers the ValueError as a validation error naming the field."""
    if value is None:
        return
    aware = value if value.tzinfo else value.replace(tzinfo=UTC)
    if not EARLIEST <= aware < LATEST:
        raise ValueError(f"{name}: dates must fall between {EARLIEST.year} and {LATEST.year}")


# An IANA time zone name: the schema lists them, so a client (or a fuzzer) following it is never refused.
ZONES = sorted(available_timezones())
TimeZone = Annotated[str, msgspec.Meta(max_length=64, extra_json_schema={"extra": {"enum": ZONES}})]
