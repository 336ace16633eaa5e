"""Accounts: register, sign in, refresh, sign out, who am I, reset a password, invitations."""

from __future__ import annotations

from frontend.api.contracts import (
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
)
from frontend.api.transport import send

BASE = "/api/v1/auth"


async def register(email: str, password: str, full_name: str, workspace_name: str | None = None) -> Accepted:
    """Start a sign-up: a confirmation link is emailed (the same answer whether or not the address is known)."""
    body = RegisterIn(email=email, password=password, full_name=full_name, workspace_name=workspace_name or None)
    return await send("POST", f"{BASE}/register", body=body, into=Accepted)


async def verify_email(signup_token: str) -> SignedInOut:
    """Confirm a sign-up with the emailed link's token: the account exists now and is signed in."""
    return await send("POST", f"{BASE}/verify-email", body=TokenIn(token=signup_token), into=SignedInOut)


async def login(email: str, password: str) -> TokenPair:
    return await send("POST", f"{BASE}/login", body=LoginIn(email=email, password=password), into=TokenPair)


async def refresh(refresh_token: str) -> TokenPair:
    return await send("POST", f"{BASE}/refresh", body=RefreshIn(refresh_token=refresh_token), into=TokenPair)


async def logout(token: str, refresh_token: str | None) -> None:
    await send("POST", f"{BASE}/logout", token, body=LogoutIn(refresh_token=refresh_token or None))


async def me(token: str) -> MeOut:
    return await send("GET", f"{BASE}/me", token, into=MeOut)


async def password_reset(email: str) -> Accepted:
    """Ask for a reset link: the same answer whether or not the address has an account."""
    return await send("POST", f"{BASE}/password-reset", body=PasswordResetIn(email=email), into=Accepted)


async def password_reset_confirm(reset_token: str, password: str) -> Accepted:
    """Set a new password with the emailed link's token (404 unknown link, 410 used or expired, 422 weak)."""
    body = PasswordResetConfirmIn(token=reset_token, password=password)
    return await send("POST", f"{BASE}/password-reset/confirm", body=body, into=Accepted)


async def invitation_preview(invite_token: str) -> InvitationPreview:
    """Which workspace and role an invitation is for, and whether its address already has an account."""
    return await send("POST", f"{BASE}/invitation-preview", body=TokenIn(token=invite_token), into=InvitationPreview)


async def accept_invitation(
    invite_token: str, password: str | None = None, full_name: str | None = None, *, token: str | None = None
) -> TokenPair:
    """Join from an invitation: signed in (`token`, the caller's access token) that account joins; otherwise a
    new account for the invited address is made with `full_name` and `password`. Signed in to the workspace."""
    body = AcceptInvitationIn(token=invite_token, password=password or None, full_name=full_name or None)
    return await send("POST", f"{BASE}/accept-invitation", token, body=body, into=TokenPair)


async def accept_invitation_signed_in(token: str, invite_token: str) -> TokenPair:
    """Join as the signed-in account (its access token first, as every signed-in call of the hub)."""
    return await accept_invitation(invite_token, token=token)
