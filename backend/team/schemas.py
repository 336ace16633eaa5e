from __future__ import annotations

import uuid
from datetime import datetime

import msgspec

from backend.auth.schemas import Email, Name
from common.enums import Role


class WorkspaceOut(msgspec.Struct):
    id: uuid.UUID
    name: str
    created_at: datetime
    role: str


class WorkspaceRow(msgspec.Struct):
    """What `GET /workspace` reads from PostgreSQL (and keeps in the tenant's read cache); the role is the caller's."""

    name: str
    created_at: datetime


class WorkspaceIn(msgspec.Struct, forbid_unknown_fields=True):
    name: Name


class TeamMemberOut(msgspec.Struct):
    user_id: uuid.UUID
    email: str
    full_name: str
    role: Role
    joined_at: datetime


class InvitationIn(msgspec.Struct, forbid_unknown_fields=True):
    email: Email
    role: Role


class InvitationOut(msgspec.Struct):
    id: uuid.UUID
    email: str
    role: Role
    expires_at: datetime
    accepted_at: datetime | None


class RoleIn(msgspec.Struct, forbid_unknown_fields=True):
    role: Role
