"""The web channel of a workspace: its settings, its public key, and the rules a browser is checked against.

The public key names the workspace in public places (the embed snippet, the companion page's address, the
messaging webhooks of the next issue); it is looked up before any tenant is known through one narrow
SECURITY DEFINER function (migration 0008), which returns the tenant and nothing else. Everything else is
read as that tenant, under RLS.
"""

from __future__ import annotations

import re
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlsplit

import msgspec
from sqlalchemy import select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from backend.channels.origins import normalize_origin, normalize_origins
from backend.channels.schemas import Theme, WebChannelIn, WebChannelOut
from backend.lib.cache import TenantMemo
from backend.lib.crypto import SecretBox
from backend.lib.db import after_commit
from backend.lib.errors import InvalidInput
from backend.lib.memo import BoundedMemo
from backend.lib.platform import Platform
from backend.lib.tenancy import TenantContext
from common.models import WebChannel
from common.settings import Settings

KEY_PREFIX = "pk_"
_KEY_SHAPE = re.compile(r"^pk_[A-Za-z0-9_-]{16,36}$")
# Public key -> tenant, per process. A key never changes owner; a deleted workspace's key then reads as
# that tenant under RLS and finds nothing.
_TENANTS: BoundedMemo[str, uuid.UUID] = BoundedMemo(8192)


@dataclass(frozen=True, slots=True)
class WebRules:
    """What session creation and the member socket check, per workspace (cached per process)."""

    allowed_origins: tuple[str, ...]
    require_identity: bool


_RULES: TenantMemo[WebRules] = TenantMemo("webchannel", size=4096, ttl=300)


def new_public_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(18)


def new_identity_secret() -> str:
    return secrets.token_hex(32)


def own_origins(settings: Settings) -> tuple[str, ...]:
    """The platform's own origins, accepted whatever a workspace lists: the API's (the chat page inside the
    iframe and the companion page are served from it) and the hub's (its Channels page previews the widget in
    a document of the hub's origin, which then embeds the chat page and opens the session)."""
    found: dict[str, None] = {}
    for url in (settings.public_api_url, settings.public_hub_url):
        parts = urlsplit(url)
        try:
            found.setdefault(normalize_origin(f"{parts.scheme}://{parts.netloc}"), None)
        except ValueError:
            continue
    return tuple(found)


async def settings_of(db: AsyncSession, creator_id: uuid.UUID) -> WebChannel:
    """The workspace's web channel, made (with a fresh public key) the first time anyone asks."""
    await db.execute(
        insert(WebChannel)
        .values(id=uuid.uuid4(), creator_id=creator_id, public_key=new_public_key())
        .on_conflict_do_nothing(index_elements=["creator_id"])
    )
    row = (await db.execute(select(WebChannel).where(col(WebChannel.creator_id) == creator_id))).scalar_one()
    return row


def _changed(platform: Platform, db: AsyncSession, creator_id: uuid.UUID) -> None:
    async def tell() -> None:
        await _RULES.changed(platform.redis, creator_id)

    after_commit(db, tell)


async def update(platform: Platform, db: AsyncSession, creator_id: uuid.UUID, data: WebChannelIn) -> WebChannel:
    row = await settings_of(db, creator_id)
    if data.allowed_origins is not None:
        try:
            row.allowed_origins = normalize_origins(data.allowed_origins)
        except ValueError as exc:
            raise InvalidInput(str(exc)) from exc
    if data.require_identity is not None:
        row.require_identity = data.require_identity
    if data.theme is not None:
        row.theme = msgspec.to_builtins(data.theme)
    if data.welcome_message is not None:
        row.welcome_message = data.welcome_message.strip()
    if data.starter_prompts is not None:
        prompts = [p.strip() for p in data.starter_prompts if p.strip()]
        row.starter_prompts = list(dict.fromkeys(prompts))
    row.updated_at = datetime.now(UTC)
    await db.flush()
    _changed(platform, db, creator_id)
    return row


async def rotate_identity_secret(
    platform: Platform, db: AsyncSession, box: SecretBox, creator_id: uuid.UUID
) -> tuple[str, datetime]:
    """A new identity secret (returned once, stored encrypted); hashes signed with the old one stop working."""
    row = await settings_of(db, creator_id)
    secret = new_identity_secret()
    row.identity_secret = box.seal(secret, creator_id)
    row.identity_secret_rotated_at = row.updated_at = datetime.now(UTC)
    await db.flush()
    _changed(platform, db, creator_id)
    return secret, row.identity_secret_rotated_at


def identity_secret(box: SecretBox, row: WebChannel) -> str | None:
    return box.open(row.identity_secret, row.creator_id) if row.identity_secret else None


async def tenant_for_key(db: AsyncSession, key: str) -> uuid.UUID | None:
    """The workspace a public widget key belongs to (None for a key nobody has)."""
    if not _KEY_SHAPE.match(key):
        return None
    found = _TENANTS.get(key)
    if found is None:
        found = (await db.execute(text("SELECT web_channel_tenant(:key)"), {"key": key})).scalar()
        if found is not None:
            _TENANTS.put(key, found)
    return found


async def rules(platform: Platform, creator_id: uuid.UUID) -> WebRules:
    """The workspace's origin and identity rules, cached per process until the settings change."""

    async def load() -> WebRules:
        async with platform.db.session(TenantContext(creator_id)) as db:
            row = (
                await db.execute(
                    select(col(WebChannel.allowed_origins), col(WebChannel.require_identity)).where(
                        col(WebChannel.creator_id) == creator_id
                    )
                )
            ).first()
            await db.commit()
        return WebRules(tuple(row[0]), bool(row[1])) if row else WebRules((), False)

    return await _RULES.get(platform.redis, creator_id, "rules", load)


def theme_of(row: WebChannel) -> Theme:
    try:
        return msgspec.convert(row.theme or {}, Theme)
    except msgspec.ValidationError:  # written by an older version: fall back to the defaults
        return Theme()


def snippet(settings: Settings, public_key: str) -> str:
    api = settings.public_api_url.rstrip("/")
    return f'<script src="{api}/widget.js" data-key="{public_key}" async></script>'


def to_out(row: WebChannel, settings: Settings) -> WebChannelOut:
    return WebChannelOut(
        public_key=row.public_key,
        allowed_origins=list(row.allowed_origins),
        require_identity=row.require_identity,
        theme=theme_of(row),
        welcome_message=row.welcome_message,
        starter_prompts=list(row.starter_prompts),
        identity_secret_set=row.identity_secret is not None,
        identity_secret_rotated_at=row.identity_secret_rotated_at,
        snippet=snippet(settings, row.public_key),
        companion_url=f"{settings.public_api_url.rstrip('/')}/m/{row.public_key}",
    )
