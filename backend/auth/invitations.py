"""Staff invitations: create (admins), accept (the invitee, before they have a tenant)."""

from __future__ import annotations

import secrets
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from backend.auth.schemas import AcceptInvitationIn, TokenPair
from backend.auth.service import hash_password, issue_pair, lookup_account, verify_password
from backend.lib.errors import Conflict, Forbidden, InvalidInput, NotAuthenticated, NotFound
from backend.lib.platform import Platform
from backend.lib.principal import Principal
from backend.lib.security import check_password_policy, sha256_hex
from backend.lib.tenancy import TenantContext, switch_tenant
from common.enums import Role
from common.models import Invitation, Membership, User


def may_grant(actor: Role, role: Role) -> bool:
    """Admins invite up to admin; only an owner makes another owner."""
    return actor is Role.owner or (actor is Role.admin and role is not Role.owner)


async def create(
    platform: Platform, db: AsyncSession, principal: Principal, email: str, role: Role
) -> tuple[Invitation, str]:
    assert principal.role is not None
    if not may_grant(principal.role, role):
        raise Forbidden(f"A {principal.role.value} cannot invite an {role.value}")
    secret = secrets.token_urlsafe(32)
    # The token names its workspace so acceptance can scope its transaction before any lookup.
    token = f"{principal.creator_id}.{secret}"
    invitation = Invitation(
        creator_id=principal.creator_id,
        email=email.lower(),
        role=role,
        token_hash=sha256_hex(token),
        invited_by=principal.subject_id,
        expires_at=datetime.now(UTC) + timedelta(seconds=platform.settings.invitation_ttl),
    )
    db.add(invitation)
    await db.flush()
    return invitation, token


def _workspace_of(token: str) -> uuid.UUID:
    try:
        return uuid.UUID(token.split(".", 1)[0])
    except ValueError as exc:
        raise NotFound("Invitation not found or already used") from exc


async def accept(platform: Platform, db: AsyncSession, data: AcceptInvitationIn) -> TokenPair:
    creator_id = _workspace_of(data.token)
    await switch_tenant(db, TenantContext(creator_id, None))
    invitation = (
        await db.execute(
            select(Invitation)
            .where(Invitation.token_hash == sha256_hex(data.token))  # type: ignore[arg-type]
            .with_for_update()
        )
    ).scalar_one_or_none()
    now = datetime.now(UTC)
    if invitation is None or invitation.accepted_at is not None:
        raise NotFound("Invitation not found or already used")
    if invitation.expires_at < now:
        raise NotAuthenticated("Invitation has expired; ask for a new one")
    existing = await lookup_account(db, invitation.email)
    if existing is not None:
        if not await verify_password(platform, existing.password_hash, data.password):
            raise NotAuthenticated("This email already has an account: enter its password to join")
        user_id = existing.user_id
        await switch_tenant(db, TenantContext(creator_id, user_id))
    else:
        if not data.full_name:
            raise InvalidInput("full_name: required to create your account")
        check_password_policy(data.password, invitation.email)
        user = User(email=invitation.email, full_name=data.full_name, password_hash="")
        user.password_hash = await hash_password(platform, data.password)
        user_id = user.id
        await switch_tenant(db, TenantContext(creator_id, user_id))
        db.add(user)
        # Without a relationship() the unit of work may insert the membership first (FK violation):
        # write the user on its own, as register() does.
        try:
            await db.flush()
        except IntegrityError as exc:
            raise Conflict("An account with this email already exists; sign in to accept") from exc
    role = Role(invitation.role)  # the column loads as a plain string
    invitation.accepted_at = now
    db.add(Membership(creator_id=creator_id, user_id=user_id, role=role))
    try:
        await db.flush()
    except IntegrityError as exc:
        raise Conflict("You are already a member of this workspace") from exc
    return await issue_pair(platform, db, user_id, creator_id, role)
