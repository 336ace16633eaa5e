"""Staff invitations: create (admins; the link goes to the invitee by email), preview and accept.

An address that already has an account joins only while signed in as that account: the accept flow never
checks a password (it used to, which let an inviter guess a stranger's password without limit)."""

from __future__ import annotations

import secrets
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from backend.auth import emails, limits
from backend.auth.schemas import AcceptInvitationIn, InvitationPreview, TokenPair
from backend.auth.service import hash_password, issue_pair, lookup_account
from backend.lib.db import after_commit
from backend.lib.errors import AccountExists, Conflict, Forbidden, InvalidInput, NotFound, TokenExpired
from backend.lib.platform import Platform
from backend.lib.principal import Principal
from backend.lib.security import check_password_policy, sha256_hex
from backend.lib.tenancy import TenantContext, switch_tenant
from backend.mail import service as mail
from common.enums import PrincipalKind, Role
from common.models import Creator, Invitation, Membership, User


def may_grant(actor: Role, role: Role) -> bool:
    """Admins invite up to admin; only an owner makes another owner."""
    return actor is Role.owner or (actor is Role.admin and role is not Role.owner)


async def create(platform: Platform, db: AsyncSession, principal: Principal, email: str, role: Role) -> Invitation:
    """The invitation; its link goes to the invitee by mail once committed. The token is never returned to the
    inviter: whoever holds it could create an account for the invited address without owning it."""
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
    inviter = await db.get(User, principal.subject_id)
    workspace = await db.get(Creator, principal.creator_id)
    letter = emails.invitation(
        platform.settings,
        invitation.email,
        inviter.full_name if inviter else "A colleague",
        workspace.name if workspace else "a workspace",
        role.value,
        token,
    )
    after_commit(db, lambda: mail.queue(platform, letter))
    return invitation


def _workspace_of(token: str) -> uuid.UUID:
    try:
        return uuid.UUID(token.split(".", 1)[0])
    except ValueError as exc:
        raise NotFound("Invitation not found or already used") from exc


async def _open(db: AsyncSession, token: str, *, lock: bool) -> Invitation:
    """The pending invitation the token names (scoping the transaction to its workspace)."""
    creator_id = _workspace_of(token)
    await switch_tenant(db, TenantContext(creator_id, None))
    query = select(Invitation).where(Invitation.token_hash == sha256_hex(token))  # type: ignore[arg-type]
    invitation = (await db.execute(query.with_for_update() if lock else query)).scalar_one_or_none()
    if invitation is None or invitation.accepted_at is not None:
        raise NotFound("Invitation not found or already used")
    if invitation.expires_at < datetime.now(UTC):
        raise TokenExpired("This invitation has expired; ask for a new one")
    return invitation


async def preview(platform: Platform, db: AsyncSession, token: str, ip: str) -> InvitationPreview:
    await limits.account_attempt(platform, "invitation", ip)
    invitation = await _open(db, token, lock=False)
    workspace = await db.get(Creator, invitation.creator_id)
    inviter = await db.get(User, invitation.invited_by) if invitation.invited_by else None
    return InvitationPreview(
        email=invitation.email,
        workspace_name=workspace.name if workspace else "",
        role=str(invitation.role),
        invited_by=inviter.full_name if inviter else None,
        expires_at=invitation.expires_at,
        account_exists=await lookup_account(db, invitation.email) is not None,
    )


async def _signed_in_user(db: AsyncSession, caller: Principal, invitation: Invitation) -> uuid.UUID:
    """The caller's account, if it is the invited address's."""
    if caller.kind is not PrincipalKind.staff:
        raise Forbidden("Sign in with a staff account to accept an invitation")
    await switch_tenant(db, TenantContext(invitation.creator_id, caller.subject_id))
    user = await db.get(User, caller.subject_id)  # a user row is visible to itself
    if user is None or user.email.lower() != invitation.email.lower():
        raise Forbidden("This invitation was sent to another address: sign in with that address to accept it")
    return user.id


async def _new_account(
    platform: Platform, db: AsyncSession, data: AcceptInvitationIn, invitation: Invitation
) -> uuid.UUID:
    if await lookup_account(db, invitation.email) is not None:
        raise AccountExists("This address already has an account: sign in with it, then accept the invitation")
    if not data.full_name:
        raise InvalidInput("full_name: required to create your account")
    if not data.password:
        raise InvalidInput("password: required to create your account")
    check_password_policy(data.password, invitation.email)
    user = User(email=invitation.email, full_name=data.full_name, password_hash="")
    user.password_hash = await hash_password(platform, data.password)
    await switch_tenant(db, TenantContext(invitation.creator_id, user.id))
    db.add(user)
    # Without a relationship() the unit of work may insert the membership first (FK violation):
    # write the user on its own, as sign-up does.
    try:
        await db.flush()
    except IntegrityError as exc:
        raise AccountExists("This address already has an account: sign in with it, then accept") from exc
    return user.id


async def accept(
    platform: Platform, db: AsyncSession, data: AcceptInvitationIn, caller: Principal | None, ip: str
) -> TokenPair:
    await limits.account_attempt(platform, "invitation", ip)
    invitation = await _open(db, data.token, lock=True)
    if caller is not None:
        user_id = await _signed_in_user(db, caller, invitation)
    else:
        user_id = await _new_account(platform, db, data, invitation)
    role = Role(invitation.role)  # the column loads as a plain string
    invitation.accepted_at = datetime.now(UTC)
    db.add(Membership(creator_id=invitation.creator_id, user_id=user_id, role=role))
    try:
        await db.flush()
    except IntegrityError as exc:
        raise Conflict("You are already a member of this workspace") from exc
    return await issue_pair(platform, db, user_id, invitation.creator_id, role)
