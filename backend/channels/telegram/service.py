"""A workspace's Telegram bot: connecting it (getMe, setWebhook with a secret), its status, the webhook's
door (constant-time secret check, the update stored once by `update_id`, handled on the job queue), and
one-time links that join a Telegram chat to a member (`https://t.me/{bot}?start={token}`)."""

from __future__ import annotations

import contextlib
import secrets
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from backend.channels import messaging
from backend.channels import service as web
from backend.channels.api_bases import api_base as allowed_api_base
from backend.channels.schemas import TelegramIn, TelegramLinkOut, TelegramOut
from backend.channels.telegram.api import (
    DEFAULT_API_BASE,
    TelegramBot,
    TelegramError,
    TelegramUnauthorized,
    TelegramUnreachable,
    secret_matches,
)
from backend.channels.telegram.updates import UpdateError, decode_update
from backend.lib.cache import tenant_key
from backend.lib.errors import InvalidInput, NotAuthenticated, NotFound, Unavailable
from backend.lib.platform import Platform
from common.enums import Channel
from common.models import Member, MessagingChannel

LINK_TTL = timedelta(hours=24)
SECRET_HEADER = "x-telegram-bot-api-secret-token"


def bot_for(platform: Platform, conn: messaging.Connection) -> TelegramBot:
    """The workspace's bot on the process's shared HTTP client."""
    api_base = str(conn.settings.get("api_base") or DEFAULT_API_BASE)
    return TelegramBot(conn.secrets["bot_token"], api_base=api_base, http=platform.services.http)


def to_out(platform: Platform, row: MessagingChannel | None, public_key: str) -> TelegramOut:
    if row is None:
        return TelegramOut(connected=False)
    return TelegramOut(
        connected=True,
        bot_username=row.settings.get("bot_username"),
        webhook_url=messaging.webhook_url(platform.settings, Channel.telegram, public_key),
        webhook_set=row.webhook_set,
        last_update_at=row.last_update_at,
        last_error=row.last_error,
    )


async def status(platform: Platform, db: AsyncSession, creator_id: uuid.UUID) -> TelegramOut:
    key = (await web.settings_of(db, creator_id)).public_key
    return to_out(platform, await messaging.row_of(db, Channel.telegram), key)


async def connect(platform: Platform, db: AsyncSession, creator_id: uuid.UUID, data: TelegramIn) -> TelegramOut:
    """Check the token (getMe), point the bot's webhook at this workspace with a fresh secret, store both."""
    api_base = allowed_api_base(platform.settings, data.api_base, DEFAULT_API_BASE)
    bot = TelegramBot(data.bot_token, api_base=api_base, http=platform.services.http)
    key = (await web.settings_of(db, creator_id)).public_key
    url = messaging.webhook_url(platform.settings, Channel.telegram, key)
    secret = secrets.token_urlsafe(32)
    try:
        me = await bot.get_me()
        await bot.set_webhook(url, secret)
    except TelegramUnauthorized as exc:
        raise InvalidInput("bot_token: Telegram does not know this token (check it in @BotFather)") from exc
    except TelegramUnreachable as exc:
        raise Unavailable(f"Telegram did not answer at {api_base}: {exc.description}") from exc
    except TelegramError as exc:
        raise InvalidInput(f"Telegram refused: {exc.description}") from exc
    settings = {"bot_username": me.username, "bot_id": me.id, "api_base": api_base}
    row = await messaging.save(
        platform, db, creator_id, Channel.telegram, settings, {"bot_token": data.bot_token, "webhook_secret": secret}
    )
    return to_out(platform, row, key)


async def disconnect(platform: Platform, db: AsyncSession, creator_id: uuid.UUID) -> None:
    """Remove the bot's webhook (best effort: the token may be revoked already) and forget the connection."""
    conn = await messaging.connection(platform, creator_id, Channel.telegram)
    if conn is None:
        raise NotFound("Telegram is not connected")
    with contextlib.suppress(TelegramError):
        await bot_for(platform, conn).delete_webhook()
    await messaging.remove(platform, db, creator_id, Channel.telegram)


async def accept(platform: Platform, db: AsyncSession, public_key: str, secret: str | None, raw: bytes) -> None:
    """The webhook: the secret first (401, nothing stored), then the update stored once and queued."""
    conn = await messaging.webhook_tenant(platform, db, public_key, Channel.telegram)
    if not secret_matches(conn.secrets.get("webhook_secret", ""), secret):
        raise NotAuthenticated("X-Telegram-Bot-Api-Secret-Token does not match this workspace's webhook")
    try:
        update = decode_update(raw)
    except UpdateError as exc:
        raise InvalidInput(f"not a Telegram update: {exc}") from exc
    await messaging.record_event(
        platform, db, conn.creator_id, Channel.telegram, str(update.update_id), {"raw": raw.decode()}
    )
    await messaging.touch(db, Channel.telegram)


def _link_key(creator_id: uuid.UUID, token: str) -> str:
    return tenant_key("tglink", creator_id, token)


async def link(platform: Platform, db: AsyncSession, creator_id: uuid.UUID, member_id: uuid.UUID) -> TelegramLinkOut:
    """A one-time, expiring token that links the Telegram chat opening it to this member."""
    conn = await messaging.connection(platform, creator_id, Channel.telegram)
    if conn is None:
        raise NotFound("Telegram is not connected")
    if await db.get(Member, member_id) is None:
        raise NotFound("Member not found")
    token = secrets.token_urlsafe(24)
    await platform.redis.set(_link_key(creator_id, token), str(member_id), ex=int(LINK_TTL.total_seconds()))
    return TelegramLinkOut(
        url=f"https://t.me/{conn.settings.get('bot_username')}?start={token}",
        token=token,
        expires_at=datetime.now(UTC) + LINK_TTL,
    )


async def redeem(platform: Platform, creator_id: uuid.UUID, token: str) -> uuid.UUID | None:
    """The member a link token names, once (GETDEL); None for a spent, expired or unknown token."""
    if not token or len(token) > 64:
        return None
    found = await platform.redis.getdel(_link_key(creator_id, token))
    try:
        return uuid.UUID(str(found)) if found else None
    except ValueError:
        return None
