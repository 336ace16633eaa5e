"""Account flows by email: sign-up confirmed by a link, password reset. Nothing here tells whether an address
has an account: requests answer the same either way and the work that differs runs in jobs (`jobs.py`)."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from typing import Any

import msgspec
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from backend.auth import emails, limits
from backend.auth.schemas import RegisterIn, TokenPair
from backend.auth.service import hash_password, issue_pair, lookup_account
from backend.auth.sessions import cut_off, revoke_refresh_tokens
from backend.lib.cache import global_key
from backend.lib.db import after_commit
from backend.lib.errors import AccountExists, InvalidToken, TokenExpired, TokenUsed
from backend.lib.platform import Platform
from backend.lib.security import check_password_policy, sha256_hex
from backend.lib.tenancy import TenantContext, switch_tenant
from backend.mail import service as mail
from backend.mail.message import Mail
from common.enums import AccountTokenPurpose, Role
from common.models import Creator, Membership, User

_ISSUE = text("SELECT account_token_issue(:purpose, :hash, :email, :user_id, CAST(:payload AS jsonb), :ttl)")
_CONSUME = text("SELECT status, email, user_id, payload FROM account_token_consume(:purpose, :hash)")


@dataclass(frozen=True, slots=True)
class Consumed:
    email: str
    user_id: uuid.UUID | None
    payload: dict[str, Any]


async def issue_token(
    db: AsyncSession,
    purpose: AccountTokenPurpose,
    email: str,
    ttl: int,
    user_id: uuid.UUID | None = None,
    payload: dict[str, Any] | None = None,
) -> str:
    """A new one-time token (only its SHA-256 is stored); the email's earlier ones of this purpose stop working."""
    token = secrets.token_urlsafe(32)
    await db.execute(
        _ISSUE,
        {
            "purpose": purpose.value,
            "hash": sha256_hex(token),
            "email": email,
            "user_id": user_id,
            "payload": msgspec.json.encode(payload or {}).decode(),
            "ttl": ttl,
        },
    )
    return token


async def consume_token(db: AsyncSession, purpose: AccountTokenPurpose, token: str) -> Consumed:
    """Spend a token (rolled back with the transaction if the request fails later)."""
    row = (await db.execute(_CONSUME, {"purpose": purpose.value, "hash": sha256_hex(token)})).one()
    if row.status == "used":
        raise TokenUsed("This link was already used; ask for a new one")
    if row.status == "expired":
        raise TokenExpired("This link has expired; ask for a new one")
    if row.status != "ok":
        raise InvalidToken("This link is not valid; check that it was copied whole, or ask for a new one")
    return Consumed(row.email, row.user_id, dict(row.payload or {}))


# -- sign-up ------------------------------------------------------------------------------------------------


async def request_signup(platform: Platform, data: RegisterIn, ip: str) -> None:
    """Check, hash, queue: the same work and the same answer whether or not the address has an account."""
    email = data.email.lower()
    await limits.account_attempt(platform, "register", ip, email)
    check_password_policy(data.password, email)
    password_hash = await hash_password(platform, data.password)
    await platform.services.jobs.enqueue(
        "signup_requested",
        email=email,
        full_name=data.full_name,
        workspace_name=data.workspace_name,
        password_hash=password_hash,
        retries=3,
        timeout=60,
    )


async def signup_mail(
    platform: Platform, db: AsyncSession, email: str, full_name: str, payload: dict[str, Any]
) -> Mail:
    """The mail a sign-up request gets: a confirmation link, or "you already have an account" to its owner."""
    settings = platform.settings
    account = await lookup_account(db, email)
    if account is not None:
        return emails.account_exists(settings, email, account.full_name)
    token = await issue_token(db, AccountTokenPurpose.signup, email, settings.signup_token_ttl, payload=payload)
    return emails.confirm_signup(settings, email, full_name, token)


async def confirm_signup(platform: Platform, db: AsyncSession, token: str) -> tuple[TokenPair, User, Creator]:
    """The link was opened: create the account, its workspace and its owner membership; sign in."""
    pending = await consume_token(db, AccountTokenPurpose.signup, token)
    if await lookup_account(db, pending.email) is not None:
        raise AccountExists("This email already has an account: sign in instead")
    data = pending.payload
    creator = Creator(name=data.get("workspace_name") or f"{data['full_name']}'s workspace")
    user = User(email=pending.email, full_name=data["full_name"], password_hash=data["password_hash"])
    # The tenant is born here: scope the transaction to it before writing any of its rows.
    await switch_tenant(db, TenantContext(creator.id, user.id))
    db.add(creator)
    await db.flush()
    db.add(user)
    try:
        await db.flush()
    except IntegrityError as exc:  # the same address confirmed twice at the same instant
        raise AccountExists("This email already has an account: sign in instead") from exc
    db.add(Membership(creator_id=creator.id, user_id=user.id, role=Role.owner))
    await db.flush()
    pair = await issue_pair(platform, db, user.id, creator.id, Role.owner)
    return pair, user, creator


# -- password reset -----------------------------------------------------------------------------------------


async def request_password_reset(platform: Platform, email: str, ip: str) -> None:
    email = email.lower()
    await limits.account_attempt(platform, "password_reset", ip, email)
    await platform.services.jobs.enqueue("password_reset_requested", email=email, retries=3, timeout=60)


async def reset_mail(platform: Platform, db: AsyncSession, email: str) -> Mail | None:
    """A reset link for the account's owner; nothing for an address without an account."""
    account = await lookup_account(db, email)
    if account is None:
        return None
    settings = platform.settings
    token = await issue_token(
        db, AccountTokenPurpose.password_reset, email, settings.reset_token_ttl, user_id=account.user_id
    )
    return emails.password_reset(settings, email, account.full_name, token)


async def reset_password(platform: Platform, db: AsyncSession, token: str, password: str, ip: str) -> None:
    """Set the new password and end every session of the account, in every workspace it belongs to; tell the
    owner by mail."""
    await limits.account_attempt(platform, "password_check", ip)
    reset = await consume_token(db, AccountTokenPurpose.password_reset, token)
    check_password_policy(password, reset.email)  # a refusal rolls the spending back: the link still works
    account = await lookup_account(db, reset.email)
    if account is None or reset.user_id is None or account.user_id != reset.user_id:
        raise InvalidToken("This link no longer matches an account; ask for a new one")
    user_id = reset.user_id
    await switch_tenant(db, TenantContext(None, user_id))
    user = await db.get(User, user_id)
    if user is None:
        raise InvalidToken("This link no longer matches an account; ask for a new one")
    user.password_hash = await hash_password(platform, password)
    await db.flush()
    workspaces = [creator_id for creator_id, _ in account.memberships]
    for creator_id in workspaces:
        await revoke_refresh_tokens(db, creator_id, user_id)
        await cut_off(platform, creator_id, user_id)
    changed = emails.password_changed(platform.settings, reset.email, account.full_name)

    async def committed() -> None:
        # A refresh that ran before our commit could mint a token newer than the first cut-off: again.
        for creator_id in workspaces:
            await cut_off(platform, creator_id, user_id)
        # The owner proved they hold the mailbox: strangers' failed sign-ins no longer hold them back.
        await platform.redis.delete(global_key("login", f"email:{sha256_hex(reset.email)}"))
        await mail.queue(platform, changed)

    after_commit(db, committed)


async def queue_mail(platform: Platform, outgoing: Mail | None) -> None:
    if outgoing is not None:
        await mail.queue(platform, outgoing)
