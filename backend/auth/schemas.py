"""Request and response bodies of the auth endpoints (msgspec: validated on the way in)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

import msgspec

Email = Annotated[str, msgspec.Meta(min_length=3, max_length=320, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")]
Password = Annotated[str, msgspec.Meta(min_length=1, max_length=256)]
# A password being chosen: the policy's length in the schema (its other rules answer 422 with a reason).
NewPassword = Annotated[str, msgspec.Meta(min_length=10, max_length=256)]
Name = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]


class RegisterIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    email: Email
    password: NewPassword
    full_name: Name
    workspace_name: Name | None = None


DeviceToken = Annotated[str, msgspec.Meta(max_length=200)]


class LoginIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    email: Email
    password: Password
    workspace_id: uuid.UUID | None = None
    # The `device_token` of an earlier sign-in from this browser (also read from the `ct_device` cookie):
    # failed attempts by others do not lock this device out.
    device_token: DeviceToken | None = None


class RefreshIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    refresh_token: Annotated[str, msgspec.Meta(min_length=1, max_length=4096)]


class LogoutIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    refresh_token: Annotated[str, msgspec.Meta(max_length=4096)] | None = None


Token = Annotated[str, msgspec.Meta(min_length=10, max_length=512)]


class AcceptInvitationIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Without a bearer token: a new account for the invited address (`full_name` and `password` required).
    With the bearer token of the invited address's account: that account joins (no password here)."""

    token: Token
    password: NewPassword | None = None
    full_name: Name | None = None


class TokenIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A one-time link's token, as the hub read it from the link's query."""

    token: Token


class PasswordResetIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    email: Email


class PasswordResetConfirmIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    token: Token
    password: NewPassword


class Accepted(msgspec.Struct, kw_only=True):
    """The same answer whatever happens next (an email is on its way, or not)."""

    status: str
    detail: str


class InvitationPreview(msgspec.Struct, kw_only=True):
    """What the invitation page shows before accepting. `account_exists`: sign in first, then accept."""

    email: str
    workspace_name: str
    role: str
    invited_by: str | None
    expires_at: datetime
    account_exists: bool


class UserOut(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    email: str
    full_name: str


class WorkspaceRef(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    name: str
    role: str


class RegisterOut(msgspec.Struct, kw_only=True):
    user: UserOut
    workspace_id: uuid.UUID
    workspace: WorkspaceRef


class TokenPair(msgspec.Struct, kw_only=True):
    access_token: str
    refresh_token: str
    expires_in: int
    workspace_id: uuid.UUID
    token_type: str = "bearer"
    # Sign-in only: keep it for this browser and send it with its next sign-ins (see LoginIn).
    device_token: str | None = None


class SignedInOut(msgspec.Struct, kw_only=True):
    """A new session with who it is for: the tokens of `TokenPair` plus the account and its workspace."""

    access_token: str
    refresh_token: str
    expires_in: int
    workspace_id: uuid.UUID
    user: UserOut
    workspace: WorkspaceRef
    token_type: str = "bearer"


class MeOut(msgspec.Struct, kw_only=True):
    user: UserOut
    workspace: WorkspaceRef
