"""HTTP endpoints for accounts: /api/v1/auth/*."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.params import JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED, HTTP_204_NO_CONTENT

from backend.auth import invitations, service
from backend.auth.schemas import (
    AcceptInvitationIn,
    LoginIn,
    LogoutIn,
    MeOut,
    RefreshIn,
    RegisterIn,
    RegisterOut,
    TokenPair,
    UserOut,
    WorkspaceRef,
)
from backend.lib.deps import Caller, Db, Plat
from backend.lib.edge import EXCLUDE_FROM_AUTH
from backend.lib.openapi import errors
from backend.lib.principal import staff
from common.enums import Role

PUBLIC = {EXCLUDE_FROM_AUTH: True}


def client_ip(request: Request[Any, Any, Any]) -> str:
    return request.client.host if request.client else "unknown"


class AuthController(Controller):
    path = "/api/v1/auth"
    tags = ["auth"]

    @post("/register", opt=PUBLIC, status_code=HTTP_201_CREATED, responses=errors(409, 429))
    async def register(self, data: JSONBody[RegisterIn], platform: Plat, db: Db) -> RegisterOut:
        """Create a workspace and its owner."""
        user, creator = await service.register(platform, db, data)
        return RegisterOut(
            user=UserOut(id=user.id, email=user.email, full_name=user.full_name),
            workspace_id=creator.id,
            workspace=WorkspaceRef(id=creator.id, name=creator.name, role=Role.owner.value),
        )

    @post("/login", opt=PUBLIC, status_code=HTTP_200_OK, responses=errors(401, 403, 429))
    async def login(
        self, request: Request[Any, Any, Any], data: JSONBody[LoginIn], platform: Plat, db: Db
    ) -> TokenPair:
        """Sign in; rate limited per IP and per email."""
        return await service.login(platform, db, data, client_ip(request))

    @post("/refresh", opt=PUBLIC, status_code=HTTP_200_OK, responses=errors(401))
    async def refresh(self, data: JSONBody[RefreshIn], platform: Plat, db: Db) -> TokenPair:
        """Trade a refresh token for a new pair; a replayed token revokes its whole family."""
        return await service.refresh(platform, db, data.refresh_token)

    @post("/logout", status_code=HTTP_204_NO_CONTENT, responses=errors(403))
    async def logout(self, platform: Plat, db: Db, principal: Caller, data: JSONBody[LogoutIn | None] = None) -> None:
        """Revoke this access token and, when given, the refresh token's family."""
        await service.logout(platform, db, principal, data.refresh_token if data else None)

    @post("/accept-invitation", opt=PUBLIC, status_code=HTTP_200_OK, responses=errors(401, 404, 409, 429))
    async def accept_invitation(self, data: JSONBody[AcceptInvitationIn], platform: Plat, db: Db) -> TokenPair:
        """Join a workspace from an invitation (creating the account when the email is new)."""
        return await invitations.accept(platform, db, data)

    @get("/me", responses=errors(403))
    async def me(self, request: Request[Any, Any, Any], db: Db) -> MeOut:
        user, creator, membership = await service.me(db, staff(request))
        return MeOut(
            user=UserOut(id=user.id, email=user.email, full_name=user.full_name),
            workspace=WorkspaceRef(id=creator.id, name=creator.name, role=membership.role),
        )
