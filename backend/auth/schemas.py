"""Request and response bodies of the auth endpoints (msgspec: validated on the way in)."""

from __future__ import annotations

import uuid
from typing import Annotated

import msgspec

Email = Annotated[str, msgspec.Meta(min_length=3, max_length=320, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")]
Password = Annotated[str, msgspec.Meta(min_length=1, max_length=256)]
# A password being chosen: the policy's length in the schema (its other rules answer 422 with a reason).
NewPassword = Annotated[str, msgspec.Meta(min_length=10, max_length=256)]
Name = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]


class RegisterIn(msgspec.Struct, forbid_unknown_fields=True):
    email: Email
    password: NewPassword
    full_name: Name
    workspace_name: Name | None = None


class LoginIn(msgspec.Struct, forbid_unknown_fields=True):
    email: Email
    password: Password
    workspace_id: uuid.UUID | None = None


class RefreshIn(msgspec.Struct, forbid_unknown_fields=True):
    refresh_token: Annotated[str, msgspec.Meta(min_length=1, max_length=4096)]


class LogoutIn(msgspec.Struct, forbid_unknown_fields=True):
    refresh_token: Annotated[str, msgspec.Meta(max_length=4096)] | None = None


class AcceptInvitationIn(msgspec.Struct, forbid_unknown_fields=True):
    token: Annotated[str, msgspec.Meta(min_length=10, max_length=512)]
    password: NewPassword
    full_name: Name | None = None


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


class MeOut(msgspec.Struct, kw_only=True):
    user: UserOut
    workspace: WorkspaceRef
