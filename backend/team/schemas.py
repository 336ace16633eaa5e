from __future__ import annotations

import uuid
from datetime import datetime

import msgspec

from backend.auth.schemas import Email, Name
from common.enums import Role
from common.models import Invitation, Membership, User


class WorkspaceOut(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    name: str
    created_at: datetime
    role: str


class WorkspaceRow(msgspec.Struct, kw_only=True):
    """What `GET /workspace` reads from PostgreSQL (and keeps in the tenant's read cache); the role is the caller's."""

    name: str
    created_at: datetime


class WorkspaceIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    name: Name


class TeamMemberOut(msgspec.Struct, kw_only=True):
    user_id: uuid.UUID
    email: str
    full_name: str
    role: Role
    joined_at: datetime


class InvitationIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    email: Email
    role: Role


class InvitationOut(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    email: str
    role: Role
    expires_at: datetime
    accepted_at: datetime | None


class RoleIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    role: Role


def team_member_out(m: Membership, u: User) -> TeamMemberOut:
    return TeamMemberOut(user_id=u.id, email=u.email, full_name=u.full_name, role=Role(m.role), joined_at=m.created_at)


def invitation_out(inv: Invitation) -> InvitationOut:
    """An invitation as its workspace's admins see it: never its token (it goes to the invitee by mail)."""
    return InvitationOut(
        id=inv.id,
        email=inv.email,
        role=Role(inv.role),
        expires_at=inv.expires_at,
        accepted_at=inv.accepted_at,
    )
