"""Members (the people a creator coaches): list them, add or update one."""

from __future__ import annotations

from frontend.api.contracts import MemberIn, MemberOut, PreferencesOut
from frontend.api.transport import send

BASE = "/api/v1/members"


async def members(token: str) -> list[MemberOut]:
    return await send("GET", f"{BASE}/", token, into=list[MemberOut])


async def upsert_member(token: str, external_id: str, display_name: str, timezone: str) -> MemberOut:
    """Create a member (or update the one with this external id, e.g. an email)."""
    body = MemberIn(external_id=external_id, display_name=display_name, timezone=timezone)
    return await send("POST", f"{BASE}/", token, body=body, into=MemberOut)


async def names(token: str) -> dict[str, str]:
    """Each member's id -> the name the hub shows (display name, else external id, else "Visitor")."""
    return {str(m.id): m.display_name or m.external_id or "Visitor" for m in await members(token)}


async def preferences(token: str, member_id: str) -> PreferencesOut:
    """The member's own reminder choices (read-only here: only the member changes them)."""
    return await send("GET", f"{BASE}/{member_id}/preferences", token, into=PreferencesOut)
