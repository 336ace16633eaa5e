"""HTTP endpoints for the workspace and its team: /api/v1/workspace, /api/v1/team/*."""

from __future__ import annotations

import uuid
from typing import Any

import msgspec
from litestar import Controller, Request, delete, get, patch, post
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath, JSONBody
from litestar.status_codes import HTTP_201_CREATED, HTTP_204_NO_CONTENT
from sqlalchemy import select

from backend.auth import invitations
from backend.lib.cache import TenantReadCache
from backend.lib.db import after_commit
from backend.lib.deps import Caller, Db, Plat, provide_platform, read_through
from backend.lib.errors import NotFound
from backend.lib.openapi import errors
from backend.lib.principal import READ_CACHE, min_role, require_role
from backend.lib.responses import ReadyJSON
from backend.team import service
from backend.team.schemas import (
    InvitationIn,
    InvitationOut,
    RoleIn,
    TeamMemberOut,
    WorkspaceIn,
    WorkspaceOut,
    WorkspaceRow,
)
from backend.twin import persona_store
from common.enums import Role
from common.models import Creator, Invitation

READ_WORKSPACE = "SELECT name, created_at FROM creators WHERE id = $1"
# GET /workspace's copy per tenant. What it holds (name, created_at) changes only by a rename (PATCH below);
# the role in the answer is the caller's own, from the token, and a membership change (role change,
# removal) revokes the member's tokens, which the same MGET checks before any copy is served.
WORKSPACE_READ = TenantReadCache("workspace")
_ROW_ENCODER = _OUT_ENCODER = msgspec.json.Encoder()
_ROW_DECODER = msgspec.json.Decoder(WorkspaceRow)


def _invitation_out(inv: Invitation, token: str | None = None) -> InvitationOut:
    return InvitationOut(
        id=inv.id,
        email=inv.email,
        role=Role(inv.role),
        expires_at=inv.expires_at,
        accepted_at=inv.accepted_at,
        token=token,
    )


class WorkspaceController(Controller):
    path = "/api/v1/workspace"
    tags = ["workspace"]

    @get(
        "/",
        opt={READ_CACHE: WORKSPACE_READ},
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
            row = await platform.db.read_row(principal.tenant, READ_WORKSPACE, principal.creator_id)
            return None if row is None else _ROW_ENCODER.encode(WorkspaceRow(row["name"], row["created_at"])).decode()

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
        creator = await db.get(Creator, principal.creator_id)
        if creator is None:
            raise NotFound("Workspace not found")
        creator.name = data.name
        await db.flush()
        after_commit(db, lambda: WORKSPACE_READ.changed(platform.redis, principal.creator_id))
        after_commit(db, lambda: persona_store.changed(platform, principal.creator_id))  # it speaks as the workspace
        role = principal.role.value if principal.role else ""
        return WorkspaceOut(id=creator.id, name=creator.name, created_at=creator.created_at, role=role)


class TeamController(Controller):
    path = "/api/v1/team"
    tags = ["team"]
    guards = [min_role(Role.viewer)]

    @get("/members")
    async def members(self, db: Db) -> list[TeamMemberOut]:
        return [
            TeamMemberOut(user_id=u.id, email=u.email, full_name=u.full_name, role=Role(m.role), joined_at=m.created_at)
            for m, u in await service.list_members(db)
        ]

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
        rows = await db.execute(
            select(Invitation)
            .where(Invitation.accepted_at.is_(None))  # type: ignore[union-attr]
            .order_by(Invitation.created_at.desc())  # type: ignore[attr-defined]
        )
        return [_invitation_out(i) for i in rows.scalars()]

    @post("/invitations", guards=[min_role(Role.admin)], status_code=HTTP_201_CREATED, responses=errors(409))
    async def invite(self, data: JSONBody[InvitationIn], platform: Plat, db: Db, principal: Caller) -> InvitationOut:
        invitation, token = await invitations.create(platform, db, principal, data.email, data.role)
        return _invitation_out(invitation, token)

    @delete("/invitations/{invitation_id:uuid}", guards=[min_role(Role.admin)], status_code=HTTP_204_NO_CONTENT)
    async def revoke(self, invitation_id: FromPath[uuid.UUID], db: Db) -> None:
        invitation = await db.get(Invitation, invitation_id)
        if invitation is None:
            raise NotFound("Invitation not found")
        await db.delete(invitation)
        await db.flush()
