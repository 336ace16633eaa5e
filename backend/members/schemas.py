"""Request and response bodies of the members endpoints."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

import msgspec

from backend.lib.bounds import TimeZone
from common.models import Member


class MemberIn(msgspec.Struct, forbid_unknown_fields=True):
    external_id: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    display_name: Annotated[str, msgspec.Meta(max_length=200)] = ""
    timezone: TimeZone = "UTC"


class MemberOut(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    external_id: str | None  # None: an anonymous widget visitor
    display_name: str
    timezone: str
    created_at: datetime


class MemberToken(msgspec.Struct, kw_only=True):
    member_id: uuid.UUID
    token: str
    expires_in: int
    token_type: str = "bearer"


def member_out(m: Member) -> MemberOut:
    return MemberOut(
        id=m.id, external_id=m.external_id, display_name=m.display_name, timezone=m.timezone, created_at=m.created_at
    )
