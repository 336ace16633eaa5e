"""Accounts: register, sign in, refresh, sign out, who am I, accept an invitation."""

from __future__ import annotations

from frontend.api.contracts import (
    Accepted,
    AcceptInvitationIn,
    LoginIn,
    LogoutIn,
    MeOut,
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


async def accept_invitation(invite_token: str, password: str, full_name: str | None = None) -> None:
    body = AcceptInvitationIn(token=invite_token, password=password, full_name=full_name or None)
    await send("POST", f"{BASE}/accept-invitation", body=body)
