"""Accounts: registration, sign-in, rotating refresh tokens with reuse detection, sign-out."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select, text, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from backend.auth import devices
from backend.auth.schemas import LoginIn, TokenPair
from backend.auth.sessions import revoke_access_token
from backend.lib.cache import global_key, hit, tenant_key
from backend.lib.errors import Forbidden, NotAuthenticated, RateLimited
from backend.lib.platform import Platform
from backend.lib.principal import Principal
from backend.lib.security import sha256_hex
from backend.lib.tenancy import TenantContext, switch_tenant
from common.enums import Role
from common.models import Creator, Membership, RefreshToken, User

_LOOKUP = text("SELECT user_id, password_hash, full_name, creator_id, role FROM auth_lookup(:email)")


@dataclass(frozen=True, slots=True)
class Account:
    """What the narrow pre-tenant lookup returns: an identity and its memberships."""

    user_id: uuid.UUID
    password_hash: str
    full_name: str
    memberships: list[tuple[uuid.UUID, Role]]


async def lookup_account(db: AsyncSession, email: str) -> Account | None:
    rows = (await db.execute(_LOOKUP, {"email": email.lower()})).all()
    if not rows:
        return None
    first = rows[0]
    members = [(r.creator_id, Role(r.role)) for r in rows if r.creator_id is not None]
    return Account(first.user_id, first.password_hash, first.full_name, members)


def family_revoked_key(creator_id: uuid.UUID, family_id: uuid.UUID) -> str:
    return tenant_key("revoked", creator_id, f"family:{family_id}")


async def hash_password(platform: Platform, password: str) -> str:
    return await asyncio.to_thread(platform.passwords.hash, password)


async def verify_password(platform: Platform, password_hash: str | None, password: str) -> bool:
    return await asyncio.to_thread(platform.passwords.verify, password_hash, password)


async def me(db: AsyncSession, principal: Principal) -> tuple[User, Creator, Membership]:
    """The signed-in staff user, their workspace and their membership in it."""
    user = await db.get(User, principal.subject_id)
    creator = await db.get(Creator, principal.creator_id)
    membership = (
        await db.execute(select(Membership).where(col(Membership.user_id) == principal.subject_id))
    ).scalar_one_or_none()
    if user is None or creator is None or membership is None:
        raise NotAuthenticated("This account no longer exists in this workspace")
    return user, creator, membership


async def issue_pair(
    platform: Platform,
    db: AsyncSession,
    user_id: uuid.UUID,
    creator_id: uuid.UUID,
    role: Role,
    family_id: uuid.UUID | None = None,
) -> TokenPair:
    """An access token and a refresh token; the refresh token is recorded for rotation."""
    s = platform.settings
    family = family_id or uuid.uuid4()
    access, _ = platform.tokens.issue(
        typ="access", sub=user_id, cid=creator_id, ttl=s.access_token_ttl, role=role.value
    )
    refresh, claims = platform.tokens.issue(
        typ="refresh", sub=user_id, cid=creator_id, ttl=s.refresh_token_ttl, fam=family
    )
    await switch_tenant(db, TenantContext(creator_id, user_id))
    db.add(
        RefreshToken(
            id=claims.jti,
            creator_id=creator_id,
            user_id=user_id,
            family_id=family,
            expires_at=datetime.fromtimestamp(claims.exp, UTC),
        )
    )
    await db.flush()
    return TokenPair(
        access_token=access,
        refresh_token=refresh,
        expires_in=s.access_token_ttl,
        workspace_id=creator_id,
    )


async def _refuse_if_locked(platform: Platform, key: str, message: str) -> None:
    failures = await platform.redis.get(key)
    if failures and int(failures) >= platform.settings.login_limit_per_email:
        ttl = await platform.redis.ttl(key)
        raise RateLimited(message, extra={"retry_after": max(int(ttl), 1)})


async def login(
    platform: Platform, db: AsyncSession, data: LoginIn, ip: str, device_token: str | None = None
) -> TokenPair:
    """Sign in. Failures count per IP, and per account either against this device (a browser that signed in
    to this account before) or against the account's unknown devices: strangers' guesses lock out unknown
    devices only, never the owner's own browser (OWASP device cookies)."""
    s = platform.settings
    email = data.email.lower()
    await hit(platform.redis, global_key("login", f"ip:{ip}"), s.login_limit_per_ip, s.login_limit_window)
    device = devices.device_id(platform, data.device_token or device_token, email)
    if device is not None:
        failures_key = global_key("login", f"device:{device}")
        locked = "Too many failed sign-ins from this device; try again later"
    else:
        failures_key = global_key("login", f"email:{sha256_hex(email)}")
        locked = (
            "Too many failed sign-ins for this account from new devices; try again later, sign in from a "
            "device you used before, or reset your password"
        )
    await _refuse_if_locked(platform, failures_key, locked)
    account = await lookup_account(db, email)
    ok = await verify_password(platform, account.password_hash if account else None, data.password)
    if not account or not ok:
        await hit(platform.redis, failures_key, 10**9, s.login_limit_window)
        raise NotAuthenticated("Email or password is incorrect")
    await platform.redis.delete(failures_key)
    if not account.memberships:
        raise Forbidden("This account belongs to no workspace")
    chosen = account.memberships[0]
    if data.workspace_id is not None:
        matches = [m for m in account.memberships if m[0] == data.workspace_id]
        if not matches:
            raise Forbidden("This account is not a member of that workspace")
        chosen = matches[0]
    pair = await issue_pair(platform, db, account.user_id, chosen[0], chosen[1])
    pair.device_token = devices.issue(platform, email)
    return pair


async def refresh(platform: Platform, db: AsyncSession, token: str) -> TokenPair:
    claims = platform.tokens.verify(token, typ="refresh")
    if claims.fam is None:
        raise NotAuthenticated("Token is invalid")
    if await platform.redis.exists(family_revoked_key(claims.cid, claims.fam)):
        raise NotAuthenticated("This session was signed out; sign in again")
    await switch_tenant(db, TenantContext(claims.cid, claims.sub))
    used = await db.execute(
        update(RefreshToken)
        .where(
            RefreshToken.id == claims.jti,  # type: ignore[arg-type]
            RefreshToken.used_at.is_(None),  # type: ignore[union-attr]
            RefreshToken.revoked_at.is_(None),  # type: ignore[union-attr]
        )
        .values(used_at=datetime.now(UTC))
        .returning(col(RefreshToken.family_id))
    )
    if used.first() is None:
        # A valid signature on a token already spent: someone replayed it. Kill the whole family.
        await revoke_family(platform, claims.cid, claims.fam)
        raise NotAuthenticated("Refresh token was already used; all sessions of it are revoked")
    role = (
        await db.execute(select(col(Membership.role)).where(col(Membership.user_id) == claims.sub))
    ).scalar_one_or_none()
    if role is None:
        raise NotAuthenticated("You are no longer a member of this workspace")
    return await issue_pair(platform, db, claims.sub, claims.cid, Role(role), claims.fam)


async def revoke_family(platform: Platform, creator_id: uuid.UUID, family_id: uuid.UUID) -> None:
    await platform.redis.set(family_revoked_key(creator_id, family_id), "1", ex=platform.settings.refresh_token_ttl)


async def logout(platform: Platform, db: AsyncSession, principal: Principal, refresh_token: str | None) -> None:
    # Check everything first, then act: a refused sign-out must leave the caller's own session alone.
    claims = platform.tokens.verify(refresh_token, typ="refresh") if refresh_token else None
    if claims is not None and (
        claims.cid != principal.creator_id or claims.sub != principal.subject_id or not claims.fam
    ):
        raise Forbidden("That refresh token belongs to another session")
    await revoke_access_token(platform, principal)
    if claims is None or claims.fam is None:
        return
    await revoke_family(platform, claims.cid, claims.fam)
    await db.execute(
        update(RefreshToken)
        .where(RefreshToken.family_id == claims.fam)  # type: ignore[arg-type]
        .values(revoked_at=datetime.now(UTC))
    )
