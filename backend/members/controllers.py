"""Members (a creator's end users) and the member-scoped tokens the widget and channels use."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import msgspec
from litestar import Controller, get, post
from litestar.params import FromPath, JSONBody
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlmodel import col

from backend.lib.bounds import TimeZone
from backend.lib.deps import Caller, Db, Plat
from backend.lib.errors import InvalidInput, NotFound
from backend.lib.principal import min_role
from common.enums import Role
from common.models import Member

MEMBER_TOKEN_TTL = 24 * 3600


class MemberIn(msgspec.Struct, forbid_unknown_fields=True):
    external_id: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    display_name: Annotated[str, msgspec.Meta(max_length=200)] = ""
    timezone: TimeZone = "UTC"


class MemberOut(msgspec.Struct):
    id: uuid.UUID
    external_id: str | None  # None: an anonymous widget visitor
    display_name: str
    timezone: str
    created_at: datetime


class MemberToken(msgspec.Struct):
    member_id: uuid.UUID
    token: str
    expires_in: int
    token_type: str = "bearer"


def _out(m: Member) -> MemberOut:
    return MemberOut(m.id, m.external_id, m.display_name, m.timezone, m.created_at)


class MembersController(Controller):
    path = "/api/v1/members"
    tags = ["members"]
    guards = [min_role(Role.viewer)]

    @post("/", guards=[min_role(Role.editor)], status_code=201)
    async def upsert(self, data: JSONBody[MemberIn], db: Db, principal: Caller) -> MemberOut:
        """Create a member, or update the one with this external id."""
        try:
            ZoneInfo(data.timezone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise InvalidInput(f"timezone: unknown time zone {data.timezone!r}") from exc
        stmt = (
            insert(Member)
            .values(
                id=uuid.uuid4(),
                creator_id=principal.creator_id,
                external_id=data.external_id,
                display_name=data.display_name,
                timezone=data.timezone,
            )
            .on_conflict_do_update(
                index_elements=["creator_id", "external_id"],
                set_={"display_name": data.display_name, "timezone": data.timezone},
            )
            .returning(col(Member.id))
        )
        member_id = (await db.execute(stmt)).scalar_one()
        member = await db.get(Member, member_id, populate_existing=True)
        assert member is not None
        return _out(member)

    @get("/")
    async def list_members(self, db: Db) -> list[MemberOut]:
        rows = await db.execute(select(Member).order_by(col(Member.created_at).desc()).limit(500))
        return [_out(m) for m in rows.scalars()]

    @post("/{member_id:uuid}/token", guards=[min_role(Role.editor)], status_code=201)
    async def token(self, member_id: FromPath[uuid.UUID], db: Db, platform: Plat, principal: Caller) -> MemberToken:
        """A token that lets this member (and only this member) chat with the twin."""
        if await db.get(Member, member_id) is None:
            raise NotFound("Member not found")
        token, _ = platform.tokens.issue(typ="member", sub=member_id, cid=principal.creator_id, ttl=MEMBER_TOKEN_TTL)
        return MemberToken(member_id=member_id, token=token, expires_in=MEMBER_TOKEN_TTL)
