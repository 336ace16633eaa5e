"""HTTP endpoints for accounts: /api/v1/auth/*."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import Cookie
from litestar.params import JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED, HTTP_202_ACCEPTED, HTTP_204_NO_CONTENT

from backend.auth import accounts, devices, invitations, service
from backend.auth.schemas import (
    Accepted,
    AcceptInvitationIn,
    InvitationPreview,
    LoginIn,
    LogoutIn,
    MeOut,
    PasswordResetConfirmIn,
    PasswordResetIn,
    RefreshIn,
    RegisterIn,
    SignedInOut,
    TokenIn,
    TokenPair,
    UserOut,
    WorkspaceRef,
)
from backend.lib.deps import Caller, Db, Plat
from backend.lib.edge import EXCLUDE_FROM_AUTH, bearer_token
from backend.lib.errors import NotAuthenticated
from backend.lib.openapi import errors
from backend.lib.principal import Principal, authenticate, staff
from common.enums import Role

PUBLIC = {EXCLUDE_FROM_AUTH: True}
CHECK_INBOX = Accepted(
    status="check_inbox",
    detail="Check your inbox: we sent a link to this address to confirm it and finish signing up.",
)
RESET_SENT = Accepted(
    status="check_inbox",
    detail="If this address has an account, a link to choose a new password is on its way. It works for a "
    "short time and once.",
)


def client_ip(request: Request[Any, Any, Any]) -> str:
    return request.client.host if request.client else "unknown"


class AuthController(Controller):
    path = "/api/v1/auth"
    tags = ["auth"]

    @post("/register", opt=PUBLIC, status_code=HTTP_202_ACCEPTED, responses=errors(429))
    async def register(self, request: Request[Any, Any, Any], data: JSONBody[RegisterIn], platform: Plat) -> Accepted:
        """Start a sign-up: a link to confirm the address is emailed (see `verify-email`).

        The answer is the same whether or not the address already has an account (its owner gets an email
        saying so instead). Rate limited per IP and per email (429 with Retry-After)."""
        await accounts.request_signup(platform, data, client_ip(request))
        return CHECK_INBOX

    @post(
        "/verify-email",
        opt=PUBLIC,
        status_code=HTTP_201_CREATED,
        responses=errors(
            404,
            409,
            410,
            s404="No such link (the token is not one we issued)",
            s409="The address already has an account",
            s410="The link was already used, or has expired",
        ),
    )
    async def verify_email(self, data: JSONBody[TokenIn], platform: Plat, db: Db) -> SignedInOut:
        """Confirm a sign-up with the token from the emailed link: creates the account and its workspace and
        signs in. 404 invalid_token, 410 token_used / token_expired, 409 account_exists."""
        pair, user, creator = await accounts.confirm_signup(platform, db, data.token)
        return SignedInOut(
            access_token=pair.access_token,
            refresh_token=pair.refresh_token,
            expires_in=pair.expires_in,
            workspace_id=pair.workspace_id,
            user=UserOut(id=user.id, email=user.email, full_name=user.full_name),
            workspace=WorkspaceRef(id=creator.id, name=creator.name, role=Role.owner.value),
        )

    @post("/password-reset", opt=PUBLIC, status_code=HTTP_202_ACCEPTED, responses=errors(429))
    async def password_reset(
        self, request: Request[Any, Any, Any], data: JSONBody[PasswordResetIn], platform: Plat
    ) -> Accepted:
        """Ask for a password reset link. The same answer whether or not the address has an account;
        rate limited per IP and per email."""
        await accounts.request_password_reset(platform, data.email, client_ip(request))
        return RESET_SENT

    @post(
        "/password-reset/confirm",
        opt=PUBLIC,
        status_code=HTTP_200_OK,
        responses=errors(
            404,
            410,
            429,
            s404="No such link (the token is not one we issued)",
            s410="The link was already used, or has expired",
        ),
    )
    async def password_reset_confirm(
        self, request: Request[Any, Any, Any], data: JSONBody[PasswordResetConfirmIn], platform: Plat, db: Db
    ) -> Accepted:
        """Set a new password with the token from the emailed link (the password policy applies); every
        session of the account ends. 404 invalid_token, 410 token_used / token_expired, 422 weak password."""
        await accounts.reset_password(platform, db, data.token, data.password, client_ip(request))
        return Accepted(status="password_changed", detail="Your password was changed; sign in with it.")

    @post("/login", opt=PUBLIC, status_code=HTTP_200_OK, responses=errors(401, 403, 429))
    async def login(
        self, request: Request[Any, Any, Any], data: JSONBody[LoginIn], platform: Plat, db: Db
    ) -> Response[TokenPair]:
        """Sign in; rate limited per IP, and per account per device: failures from unknown devices lock out
        unknown devices only; a browser that signed in before (its `ct_device` cookie or `device_token`)
        keeps its own count."""
        pair = await service.login(platform, db, data, client_ip(request), request.cookies.get(devices.COOKIE))
        cookie = Cookie(
            key=devices.COOKIE,
            value=pair.device_token,
            max_age=devices.TTL,
            path="/api/v1/auth",
            httponly=True,
            secure=not platform.settings.is_dev,
            samesite="strict",
        )
        return Response(pair, cookies=[cookie])

    @post("/refresh", opt=PUBLIC, status_code=HTTP_200_OK, responses=errors(401))
    async def refresh(self, data: JSONBody[RefreshIn], platform: Plat, db: Db) -> TokenPair:
        """Trade a refresh token for a new pair; a replayed token revokes its whole family."""
        return await service.refresh(platform, db, data.refresh_token)

    @post("/logout", status_code=HTTP_204_NO_CONTENT, responses=errors(403))
    async def logout(self, platform: Plat, db: Db, principal: Caller, data: JSONBody[LogoutIn | None] = None) -> None:
        """Revoke this access token and, when given, the refresh token's family."""
        await service.logout(platform, db, principal, data.refresh_token if data else None)

    @post(
        "/invitation-preview",
        opt=PUBLIC,
        status_code=HTTP_200_OK,
        responses=errors(404, 410, 429, s404="No such invitation, or already used", s410="The invitation has expired"),
    )
    async def invitation_preview(
        self, request: Request[Any, Any, Any], data: JSONBody[TokenIn], platform: Plat, db: Db
    ) -> InvitationPreview:
        """What an invitation is for (workspace, role, address) and whether that address already has an
        account (then: sign in as it, and accept while signed in). 404 unknown or used, 410 expired."""
        return await invitations.preview(platform, db, data.token, client_ip(request))

    @post(
        "/accept-invitation",
        opt=PUBLIC,
        status_code=HTTP_200_OK,
        responses=errors(
            401,
            403,
            404,
            409,
            410,
            429,
            s401="The bearer token sent is not valid",
            s403="Signed in as another address than the invited one",
            s404="No such invitation, or already used",
            s409="The address already has an account (sign in, then accept), or is already a member",
            s410="The invitation has expired",
        ),
    )
    async def accept_invitation(
        self, request: Request[Any, Any, Any], data: JSONBody[AcceptInvitationIn], platform: Plat, db: Db
    ) -> TokenPair:
        """Join a workspace from an invitation.

        Signed in (bearer token) as the invited address's account: that account joins. Not signed in: a new
        account for the invited address (`full_name`, `password`); if the address already has an account,
        409 account_exists (sign in first). Never checks an existing account's password. Rate limited."""
        caller = await _optional_caller(request, platform)
        return await invitations.accept(platform, db, data, caller, client_ip(request))

    @get("/me", responses=errors(403))
    async def me(self, request: Request[Any, Any, Any], db: Db) -> MeOut:
        user, creator, membership = await service.me(db, staff(request))
        return MeOut(
            user=UserOut(id=user.id, email=user.email, full_name=user.full_name),
            workspace=WorkspaceRef(id=creator.id, name=creator.name, role=membership.role),
        )


async def _optional_caller(request: Request[Any, Any, Any], platform: Plat) -> Principal | None:
    """The bearer token's principal when the request carries one (a bad token is a 401, never anonymous)."""
    header = request.headers.get("authorization")
    if not header:
        return None
    token = bearer_token(header.encode("latin-1"))
    if not token:
        raise NotAuthenticated("Malformed Authorization header; use 'Bearer <token>'")
    return await authenticate(platform, token)
