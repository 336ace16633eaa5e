"""HTTP endpoints for members (a creator's end users) and the member-scoped tokens the widget and channels use."""

from __future__ import annotations

import uuid

from litestar import Controller, get, post
from litestar.params import FromPath, JSONBody

from backend.engagement import service as engagement
from backend.engagement.schemas import PreferencesOut
from backend.lib.deps import Caller, Db, Plat
from backend.lib.openapi import errors
from backend.lib.principal import min_role
from backend.members import service
from backend.members.schemas import MemberIn, MemberOut, MemberToken, member_out
from common.enums import Role


class MembersController(Controller):
    path = "/api/v1/members"
    tags = ["members"]
    guards = [min_role(Role.viewer)]

    @post("/", guards=[min_role(Role.editor)], status_code=201)
    async def upsert(self, data: JSONBody[MemberIn], db: Db, principal: Caller) -> MemberOut:
        """Create a member, or update the one with this external id."""
        return member_out(await service.upsert(db, principal.creator_id, data))

    @get("/")
    async def list_members(self, db: Db) -> list[MemberOut]:
        return [member_out(m) for m in await service.listing(db)]

    @post("/{member_id:uuid}/token", guards=[min_role(Role.editor)], status_code=201)
    async def token(self, member_id: FromPath[uuid.UUID], db: Db, platform: Plat, principal: Caller) -> MemberToken:
        """A token that lets this member (and only this member) chat with the twin."""
        token = await service.issue_token(platform, db, principal.creator_id, member_id)
        return MemberToken(member_id=member_id, token=token, expires_in=platform.settings.member_token_ttl)

    @get("/{member_id:uuid}/preferences", responses=errors(404, s404="No such member in this workspace"))
    async def preferences(self, member_id: FromPath[uuid.UUID], db: Db) -> PreferencesOut:
        """The member's reminder choices (paused until, quiet hours, channels opted out of), read-only: only the
        member changes them (`PUT /api/v1/me/preferences`). Shows staff why a nudge was held back."""
        await service.get(db, member_id)
        return engagement.preferences_out(await engagement.stored_preferences(db, member_id))

    @post("/{member_id:uuid}/revoke-sessions", guards=[min_role(Role.editor)], status_code=204)
    async def revoke_sessions(self, member_id: FromPath[uuid.UUID], db: Db, platform: Plat, principal: Caller) -> None:
        """End every session of this member: the tokens issued so far stop working and open chats close, on
        every worker, within a second. New tokens (`POST .../token`) work again."""
        await service.revoke_sessions(platform, db, principal.creator_id, member_id)
