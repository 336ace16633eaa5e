"""HTTP for the workspace's channels: the web widget, a Telegram bot, a WhatsApp number (settings for the
hub; the messaging webhooks, which need no account, are in `webhooks.py`)."""

from __future__ import annotations

from litestar import Controller, delete, get, post, put
from litestar.params import JSONBody

from backend.channels import service
from backend.channels.schemas import (
    IdentitySecretOut,
    TelegramIn,
    TelegramLinkIn,
    TelegramLinkOut,
    TelegramOut,
    WebChannelIn,
    WebChannelOut,
    WhatsAppIn,
    WhatsAppOut,
)
from backend.channels.telegram import service as telegram
from backend.channels.whatsapp import service as whatsapp
from backend.lib.crypto import SecretBox
from backend.lib.deps import Caller, Db, Plat
from backend.lib.openapi import errors
from backend.lib.principal import min_role
from common.enums import Role


class ChannelsController(Controller):
    path = "/api/v1/channels"
    tags = ["channels"]
    guards = [min_role(Role.viewer)]

    @get("/web")
    async def web(self, db: Db, platform: Plat, principal: Caller) -> WebChannelOut:
        """The web widget's settings, its public key and the snippet to paste into a site."""
        return service.to_out(await service.settings_of(db, principal.creator_id), platform.settings)

    @put("/web", guards=[min_role(Role.admin)])
    async def update_web(
        self, data: JSONBody[WebChannelIn], db: Db, platform: Plat, principal: Caller
    ) -> WebChannelOut:
        """Change any of the settings (fields left out keep their value; the public key never changes)."""
        row = await service.update(platform, db, principal.creator_id, data)
        return service.to_out(row, platform.settings)

    @post("/web/identity-secret", guards=[min_role(Role.admin)], status_code=200)
    async def rotate_identity_secret(self, db: Db, platform: Plat, principal: Caller) -> IdentitySecretOut:
        """A new secret for signing members' ids (`identity_hash`), shown this once; the old one stops working."""
        secret, at = await service.rotate_identity_secret(
            platform, db, SecretBox(platform.settings.secret_key), principal.creator_id
        )
        return IdentitySecretOut(identity_secret=secret, rotated_at=at)

    @get("/telegram")
    async def telegram_status(self, db: Db, platform: Plat, principal: Caller) -> TelegramOut:
        """The workspace's Telegram bot: connected, its name, the webhook, the last update and error."""
        return await telegram.status(platform, db, principal.creator_id)

    @put(
        "/telegram",
        guards=[min_role(Role.admin)],
        responses=errors(422, 503, s422="Telegram refused the token", s503="Telegram (or `api_base`) did not answer"),
    )
    async def connect_telegram(
        self, data: JSONBody[TelegramIn], db: Db, platform: Plat, principal: Caller
    ) -> TelegramOut:
        """Connect a bot: the token is checked (`getMe`), the bot's webhook is set to this workspace with a
        fresh `secret_token` (`setWebhook`), and the token is stored encrypted (never returned)."""
        return await telegram.connect(platform, db, principal.creator_id, data)

    @delete("/telegram", guards=[min_role(Role.admin)], status_code=204, responses=errors(404))
    async def disconnect_telegram(self, db: Db, platform: Plat, principal: Caller) -> None:
        """Remove the bot's webhook and forget its token."""
        await telegram.disconnect(platform, db, principal.creator_id)

    @post(
        "/telegram/links",
        guards=[min_role(Role.editor)],
        status_code=201,
        responses=errors(404, s404="Telegram is not connected, or no such member"),
    )
    async def telegram_link(
        self, data: JSONBody[TelegramLinkIn], db: Db, platform: Plat, principal: Caller
    ) -> TelegramLinkOut:
        """A one-time link (24 hours) that joins the Telegram chat opening it to this member."""
        return await telegram.link(platform, db, principal.creator_id, data.member_id)

    @get("/whatsapp")
    async def whatsapp_status(self, db: Db, platform: Plat, principal: Caller) -> WhatsAppOut:
        """The workspace's WhatsApp number: connected, the webhook to give Meta, the template, the last update
        and error."""
        return await whatsapp.status(platform, db, principal.creator_id)

    @put("/whatsapp", guards=[min_role(Role.admin)], responses=errors(422))
    async def connect_whatsapp(
        self, data: JSONBody[WhatsAppIn], db: Db, platform: Plat, principal: Caller
    ) -> WhatsAppOut:
        """Connect a WhatsApp Cloud API number (its access token, app secret and verify token stored encrypted,
        never returned); the template is what may be sent outside the 24-hour window. Then point the app's
        webhook at `webhook_url` with the verify token."""
        return await whatsapp.connect(platform, db, principal.creator_id, data)

    @delete("/whatsapp", guards=[min_role(Role.admin)], status_code=204, responses=errors(404))
    async def disconnect_whatsapp(self, db: Db, platform: Plat, principal: Caller) -> None:
        """Forget the number and its secrets."""
        await whatsapp.disconnect(platform, db, principal.creator_id)
