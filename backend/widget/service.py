"""Opening a member session from the widget or the companion page: the key, the origin, the identity.

Order of checks (each answer is the Contract's): rate limits (429), the key (404), the page's origin
(403 `origin_not_allowed` when the workspace lists origins and this is not one), a signed identity
(401 `identity_invalid` for a hash that does not match), required identity (403 `identity_required` for an
anonymous visitor when the workspace requires identity). Then the member is found or made
(backend/members/identities.py) and gets a member token.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import uuid
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from backend.channels import service as channels
from backend.channels.origins import origin_allowed
from backend.lib.cache import global_key, hit, tenant_key
from backend.lib.crypto import SecretBox
from backend.lib.errors import Forbidden, InvalidInput, NotAuthenticated, NotFound
from backend.lib.platform import Platform
from backend.lib.tenancy import TenantContext, switch_tenant
from backend.members import identities
from backend.widget.schemas import SessionIn, SessionOut, WidgetConfigOut
from common.enums import Channel, IdentityKind, PersonaStatus
from common.models import Creator, Persona, WebChannel

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class OriginNotAllowed(Forbidden):
    code = "origin_not_allowed"


class IdentityRequired(Forbidden):
    code = "identity_required"


class IdentityInvalid(NotAuthenticated):
    code = "identity_invalid"


def expected_hash(secret: str, external_id: str) -> str:
    return hmac.new(secret.encode(), external_id.encode(), hashlib.sha256).hexdigest()


def hash_matches(secret: str | None, external_id: str, given: str | None) -> bool:
    """Constant-time comparison of the site's `identity_hash` with ours (hex, either case)."""
    if not secret or not given:
        return False
    return hmac.compare_digest(expected_hash(secret, external_id).encode(), given.strip().lower().encode("utf-8"))


def _clean_name(name: str | None) -> str | None:
    if name is None:
        return None
    cleaned = _CONTROL.sub("", name).strip()
    return cleaned[:200] or None


def _check_timezone(tz: str | None) -> str | None:
    if not tz:
        return None
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise InvalidInput(f"timezone: unknown time zone {tz[:64]!r}") from exc
    return tz


async def limit_ip(platform: Platform, ip: str) -> None:
    await hit(platform.redis, global_key("ratelimit", f"widget-ip:{ip}"), platform.settings.widget_limit_per_ip, 60)


async def workspace(platform: Platform, db: AsyncSession, key: str) -> tuple[uuid.UUID, WebChannel]:
    creator_id = await channels.tenant_for_key(db, key)
    if creator_id is None:
        raise NotFound("Unknown widget key")
    await hit(platform.redis, tenant_key("ratelimit", creator_id, "widget"), platform.settings.widget_limit_per_key, 60)
    await switch_tenant(db, TenantContext(creator_id))
    row = (await db.execute(select(WebChannel).where(col(WebChannel.creator_id) == creator_id))).scalar_one_or_none()
    if row is None:  # the workspace is gone (its key still memoised by this process)
        raise NotFound("Unknown widget key")
    return creator_id, row


def _check_origin(platform: Platform, row: WebChannel, origin: str | None) -> None:
    if not origin_allowed(origin, row.allowed_origins, channels.own_origins(platform.settings)):
        raise OriginNotAllowed("This site is not allowed to embed the chat: add it to the widget's allowed origins")


async def open_session(
    platform: Platform, db: AsyncSession, data: SessionIn, origin: str | None, ip: str
) -> SessionOut:
    await limit_ip(platform, ip)
    creator_id, row = await workspace(platform, db, data.key)
    _check_origin(platform, row, origin)
    timezone = _check_timezone(data.timezone)
    visitor_id = data.visitor_id
    if data.external_id is not None:
        secret = channels.identity_secret(SecretBox(platform.settings.secret_key), row)
        if not hash_matches(secret, data.external_id, data.identity_hash):
            detail = (
                "identity_hash does not match external_id"
                if secret
                else "This workspace has no identity secret yet: an admin creates one in Channels"
            )
            raise IdentityInvalid(detail)
        visitor = (IdentityKind.web_visitor, visitor_id) if visitor_id else None
        member, _ = await identities.identify(platform, db, creator_id, data.external_id, visitor)
    else:
        if data.identity_hash is not None:
            raise InvalidInput("identity_hash needs the external_id it signs")
        if row.require_identity:
            raise IdentityRequired("This coach's chat is for signed-in members: sign in on the site first")
        visitor_id = visitor_id or secrets.token_urlsafe(24)
        member = await identities.for_channel(platform, db, creator_id, IdentityKind.web_visitor, visitor_id)
    await identities.seen(db, member, Channel.web, _clean_name(data.display_name), timezone)
    ttl = platform.settings.member_token_ttl
    token, _ = platform.tokens.issue(typ="member", sub=member.id, cid=creator_id, ttl=ttl)
    return SessionOut(
        member_id=member.id,
        token=token,
        expires_in=ttl,
        visitor_id=visitor_id,
        identified=member.external_id is not None,
    )


async def twin_name(db: AsyncSession, creator_id: uuid.UUID) -> str:
    """The name members see: the approved persona's, else the workspace's."""
    name = (await db.execute(select(col(Persona.name)).where(col(Persona.status) == PersonaStatus.approved))).scalar()
    if name:
        return str(name)
    creator = await db.get(Creator, creator_id)
    return creator.name if creator else "Coach"


async def config(platform: Platform, db: AsyncSession, key: str, origin: str | None, ip: str) -> WidgetConfigOut:
    await limit_ip(platform, ip)
    creator_id, row = await workspace(platform, db, key)
    _check_origin(platform, row, origin)
    return WidgetConfigOut(
        twin_name=await twin_name(db, creator_id),
        theme=channels.theme_of(row),
        welcome_message=row.welcome_message,
        starter_prompts=list(row.starter_prompts),
        require_identity=row.require_identity,
    )
