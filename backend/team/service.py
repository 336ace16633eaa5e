"""The workspace and who works in it: renaming it, members and their roles, pending invitations."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.auth.invitations import may_grant
from backend.auth.sessions import cut_off
from backend.lib.db import after_commit
from backend.lib.errors import Conflict, Forbidden, NotFound
from backend.lib.hotpath.readcache import TenantReadCache
from backend.lib.platform import Platform
from backend.lib.principal import Principal
from backend.twin import service as twin_service
from common.enums import Role
from common.models import Creator, Invitation, Membership, User

# GET /workspace's copy per tenant. What it holds (name, created_at) changes only by a rename (below); the
# role in the answer is the caller's own, from the token, and a membership change (role change, removal)
# revokes the member's tokens, which the same MGET checks before any copy is served.
WORKSPACE_READ = TenantReadCache("workspace")
READ_WORKSPACE = "SELECT name, created_at FROM creators WHERE id = $1"


async def rename_workspace(platform: Platform, db: AsyncSession, creator_id: uuid.UUID, name: str) -> Creator:
    creator = await db.get(Creator, creator_id)
    if creator is None:
        raise NotFound("Workspace not found")
    creator.name = name
    await db.flush()
    after_commit(db, lambda: WORKSPACE_READ.changed(platform.redis, creator_id))
    after_commit(db, lambda: twin_service.changed(platform, creator_id))  # the default persona speaks as it
    return creator


async def list_members(db: AsyncSession) -> list[tuple[Membership, User]]:
    rows = await db.execute(
        select(Membership, User)
        .join(User, User.id == Membership.user_id)  # type: ignore[arg-type]
        .order_by(Membership.created_at)  # type: ignore[arg-type]
    )
    return [(m, u) for m, u in rows.all()]


async def _membership(db: AsyncSession, user_id: uuid.UUID) -> Membership:
    found = (
        await db.execute(select(Membership).where(Membership.user_id == user_id).with_for_update())  # type: ignore[arg-type]
    ).scalar_one_or_none()
    if found is None:
        raise NotFound("No such team member")
    return found


async def _owners(db: AsyncSession) -> int:
    return int(
        (await db.execute(select(func.count()).where(Membership.role == Role.owner.value))).scalar_one()  # type: ignore[arg-type]
    )


async def _cut_off(platform: Platform, principal: Principal, user_id: uuid.UUID) -> None:
    """Tokens the user holds now carry the old role: make them stop working, and close their sockets."""
    await cut_off(platform, principal.creator_id, user_id)


async def _cut_off_now_and_after_commit(
    platform: Platform, db: AsyncSession, principal: Principal, user_id: uuid.UUID
) -> None:
    await _cut_off(platform, principal, user_id)
    # A refresh running before our commit still reads the old role and mints a token newer than the
    # first cut-off: cut off again once the change is committed, so no token carrying the old role
    # outlives this request.
    after_commit(db, lambda: _cut_off(platform, principal, user_id))


async def change_role(
    platform: Platform, db: AsyncSession, principal: Principal, user_id: uuid.UUID, role: Role
) -> Membership:
    assert principal.role is not None
    member = await _membership(db, user_id)
    current = Role(member.role)
    if not (may_grant(principal.role, role) and may_grant(principal.role, current)):
        raise Forbidden("Only an owner can grant or take away the owner role")
    if current is role:  # nothing changes, so nobody's sessions end (it used to sign the caller out)
        return member
    if current is Role.owner and role is not Role.owner and await _owners(db) <= 1:
        raise Conflict("A workspace needs at least one owner")
    member.role = role
    await db.flush()
    await _cut_off_now_and_after_commit(platform, db, principal, user_id)
    return member


async def remove(platform: Platform, db: AsyncSession, principal: Principal, user_id: uuid.UUID) -> None:
    assert principal.role is not None
    member = await _membership(db, user_id)
    if not may_grant(principal.role, Role(member.role)):
        raise Forbidden("Only an owner can remove an owner")
    if Role(member.role) is Role.owner and await _owners(db) <= 1:
        raise Conflict("A workspace needs at least one owner")
    await db.delete(member)
    await db.flush()
    await _cut_off_now_and_after_commit(platform, db, principal, user_id)


async def pending_invitations(db: AsyncSession) -> list[Invitation]:
    rows = await db.execute(
        select(Invitation)
        .where(Invitation.accepted_at.is_(None))  # type: ignore[union-attr]
        .order_by(Invitation.created_at.desc())  # type: ignore[attr-defined]
    )
    return list(rows.scalars())


async def revoke_invitation(db: AsyncSession, invitation_id: uuid.UUID) -> None:
    invitation = await db.get(Invitation, invitation_id)
    if invitation is None:
        raise NotFound("Invitation not found")
    await db.delete(invitation)
    await db.flush()
