"""HTTP endpoints for the workspace and its team: /api/v1/workspace, /api/v1/team/*."""

from __future__ import annotations

import uuid
from typing import Any

import msgspec
from litestar import Controller, Request, delete, get, patch, post
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath, JSONBody
from litestar.status_codes import HTTP_201_CREATED, HTTP_204_NO_CONTENT

from backend.auth import invitations
from backend.lib.deps import Caller, Db, Plat, provide_platform
from backend.lib.errors import NotFound
from backend.lib.hotpath.readcache import READ_CACHE, read_through
from backend.lib.hotpath.responses import ReadyJSON
from backend.lib.openapi import errors
from backend.lib.principal import min_role, require_role
from backend.team import service
from backend.team.schemas import (
    InvitationIn,
    InvitationOut,
    RoleIn,
    TeamMemberOut,
    WorkspaceIn,
    WorkspaceOut,
    WorkspaceRow,
    invitation_out,
    team_member_out,
)
from common.enums import Role

_ROW_ENCODER = _OUT_ENCODER = msgspec.json.Encoder()
_ROW_DECODER = msgspec.json.Decoder(WorkspaceRow)


class WorkspaceController(Controller):
    path = "/api/v1/workspace"
    tags = ["workspace"]

    @get(
        "/",
        opt={READ_CACHE: service.WORKSPACE_READ},
        responses={
            200: ResponseSpec(data_container=WorkspaceOut, description="The caller's workspace"),
            **errors(403, 404),
        },
    )
    async def read(self, request: Request[Any, Any, Any]) -> ReadyJSON:
        # A hot read: no guard (Litestar copies the handler per guard call; the role check is inline), no
        # injected dependencies (Litestar resolves two or more in an anyio task group, a task each), no ORM
        # session: the tenant's cached copy (found by the auth middleware's MGET) or one raw tenant-scoped
        # query, RLS as the caller's tenant.
        platform, principal = provide_platform(request), require_role(request, Role.viewer)

        async def load() -> str | None:
            row = await platform.db.read_row(principal.tenant, service.READ_WORKSPACE, principal.creator_id)
            if row is None:
                return None
            return _ROW_ENCODER.encode(WorkspaceRow(name=row["name"], created_at=row["created_at"])).decode()

        payload = await read_through(request, platform, principal, load)
        if payload is None:
            raise NotFound("Workspace not found")
        row = _ROW_DECODER.decode(payload)
        role = principal.role.value if principal.role else ""
        out = WorkspaceOut(id=principal.creator_id, name=row.name, created_at=row.created_at, role=role)
        # A ready ASGI response: Litestar's generic Response path (headers, cookies, content negotiation)
        # cost ~15% of this read; the documented schema stays WorkspaceOut (`responses` above).
        return ReadyJSON(_OUT_ENCODER.encode(out))

    @patch("/", guards=[min_role(Role.admin)], responses=errors(404))
    async def rename(self, data: JSONBody[WorkspaceIn], db: Db, platform: Plat, principal: Caller) -> WorkspaceOut:
        creator = await service.rename_workspace(platform, db, principal.creator_id, data.name)
        role = principal.role.value if principal.role else ""
        return WorkspaceOut(id=creator.id, name=creator.name, created_at=creator.created_at, role=role)


class TeamController(Controller):
    path = "/api/v1/team"
    tags = ["team"]
    guards = [min_role(Role.viewer)]

    @get("/members")
    async def members(self, db: Db) -> list[TeamMemberOut]:
        return [team_member_out(m, u) for m, u in await service.list_members(db)]

    @patch("/members/{user_id:uuid}", guards=[min_role(Role.admin)], responses=errors(409))
    async def change_role(
        self, user_id: FromPath[uuid.UUID], data: JSONBody[RoleIn], platform: Plat, db: Db, principal: Caller
    ) -> dict[str, str]:
        member = await service.change_role(platform, db, principal, user_id, data.role)
        return {"user_id": str(member.user_id), "role": str(member.role)}

    @delete(
        "/members/{user_id:uuid}", guards=[min_role(Role.admin)], status_code=HTTP_204_NO_CONTENT, responses=errors(409)
    )
    async def remove(self, user_id: FromPath[uuid.UUID], platform: Plat, db: Db, principal: Caller) -> None:
        await service.remove(platform, db, principal, user_id)

    @get("/invitations", guards=[min_role(Role.admin)])
    async def list_invitations(self, db: Db) -> list[InvitationOut]:
        return [invitation_out(i) for i in await service.pending_invitations(db)]

    @post("/invitations", guards=[min_role(Role.admin)], status_code=HTTP_201_CREATED, responses=errors(409))
    async def invite(self, data: JSONBody[InvitationIn], platform: Plat, db: Db, principal: Caller) -> InvitationOut:
        """Invite someone by email: the link goes to them by mail, never back to the inviter."""
        return invitation_out(await invitations.create(platform, db, principal, data.email, data.role))

    @delete("/invitations/{invitation_id:uuid}", guards=[min_role(Role.admin)], status_code=HTTP_204_NO_CONTENT)
    async def revoke(self, invitation_id: FromPath[uuid.UUID], db: Db) -> None:
        await service.revoke_invitation(db, invitation_id)
