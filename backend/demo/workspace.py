"""Where the demo goes: a fresh account and workspace, or a named workspace that holds no demo yet."""

from __future__ import annotations

import secrets
import time
import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from backend.auth.service import hash_password, lookup_account
from backend.lib.platform import Platform
from backend.lib.principal import Principal
from backend.lib.tenancy import TenantContext, switch_tenant
from common.enums import PrincipalKind, Role
from common.models import Creator, Member, Membership, User

DEMO_EMAIL = "demo@coachtwin.local"
MARKER = "demo-00000"  # the first simulated member's external id: its presence means the demo already ran


class Refused(Exception):
    """The demo would mix with data already there: nothing was changed."""


@dataclass(frozen=True)
class Target:
    creator_id: uuid.UUID
    owner: Principal
    email: str | None = None  # set when the demo made the account
    password: str | None = None


def staff(creator_id: uuid.UUID, user_id: uuid.UUID) -> Principal:
    return Principal(PrincipalKind.staff, user_id, creator_id, Role.owner, uuid.uuid4(), int(time.time()) + 3600)


async def existing(db: AsyncSession, creator_id: uuid.UUID) -> Target:
    """A named workspace (the session is its tenant's): refused when missing or already filled."""
    if await db.get(Creator, creator_id) is None:
        raise Refused(f"no workspace {creator_id}")
    taken = (await db.execute(select(col(Member.id)).where(col(Member.external_id) == MARKER))).first()
    if taken is not None:
        raise Refused(f"workspace {creator_id} already holds the demo cohort; nothing was changed")
    owner = (
        await db.execute(
            select(col(Membership.user_id)).where(col(Membership.role) == Role.owner).order_by(col(Membership.user_id))
        )
    ).first()
    if owner is None:
        raise Refused(f"workspace {creator_id} has no owner")
    return Target(creator_id, staff(creator_id, owner[0]))


async def fresh(platform: Platform, db: AsyncSession, email: str, password: str | None, started: datetime) -> Target:
    """A new account owning a new workspace, as a confirmed sign-up makes them; refused if the email has one."""
    email = email.lower()
    if await lookup_account(db, email) is not None:
        raise Refused(
            f"{email} already has an account (the demo ran before?): sign in as it, or pass --email for another"
        )
    password = password or f"Stoic-{secrets.token_urlsafe(9)}"
    creator = Creator(name="Stoic Mornings (demo)", created_at=started)
    user = User(email=email, full_name="Demo Creator", password_hash=await hash_password(platform, password))
    await switch_tenant(db, TenantContext(creator.id, user.id))
    db.add(creator)
    await db.flush()
    db.add(user)
    await db.flush()
    db.add(Membership(creator_id=creator.id, user_id=user.id, role=Role.owner))
    await db.flush()
    return Target(creator.id, staff(creator.id, user.id), email, password)
