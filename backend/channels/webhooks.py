"""The messaging providers' webhooks: no account, the workspace's public key in the path, and the
provider's proof (Telegram's secret token header, WhatsApp's signature) checked before anything is read."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, MediaType, Request, get, post
from litestar.params import Parameter

from backend.channels.telegram import service as telegram
from backend.channels.whatsapp import service as whatsapp
from backend.lib.deps import Db, Plat
from backend.lib.edge import EXCLUDE_FROM_AUTH
from backend.lib.openapi import errors

PUBLIC = {EXCLUDE_FROM_AUTH: True}
Key = Annotated[str, Parameter(min_length=1, max_length=64, description="the workspace's public key")]


class WebhooksController(Controller):
    path = "/api/v1/channels"
    tags = ["channels"]

    @post(
        "/telegram/{public_key:str}/webhook",
        opt=PUBLIC,
        status_code=200,
        security=[],
        responses=errors(
            401,
            404,
            422,
            s401="`X-Telegram-Bot-Api-Secret-Token` is missing or not this workspace's (nothing stored)",
            s404="No workspace has this key, or it has no Telegram bot",
            s422="The body is not a Telegram update",
        ),
    )
    async def telegram_webhook(
        self, request: Request[Any, Any, Any], public_key: Key, db: Db, platform: Plat
    ) -> dict[str, bool]:
        """Telegram posts each update here. Answered at once; a duplicate `update_id` is dropped and the
        work (the twin's reply, a link, an opt-out) runs on the job queue."""
        secret = request.headers.get(telegram.SECRET_HEADER)
        await telegram.accept(platform, db, public_key, secret, await request.body())
        return {"ok": True}

    @get(
        "/whatsapp/{public_key:str}/webhook",
        opt=PUBLIC,
        security=[],
        media_type=MediaType.TEXT,
        responses=errors(
            403, 404, s403="Not a subscription, or not this workspace's verify token", s404="No WhatsApp here"
        ),
    )
    async def whatsapp_verify(self, request: Request[Any, Any, Any], public_key: Key, db: Db, platform: Plat) -> str:
        """Meta's subscription handshake: `hub.mode=subscribe` with this workspace's `hub.verify_token` gets
        `hub.challenge` back (text); anything else 403."""
        params = {k: str(v) for k, v in request.query_params.items() if k.startswith("hub.")}
        return await whatsapp.challenge(platform, db, public_key, params)

    @post(
        "/whatsapp/{public_key:str}/webhook",
        opt=PUBLIC,
        status_code=200,
        security=[],
        responses=errors(
            401,
            404,
            422,
            s401="`X-Hub-Signature-256` is missing or not the HMAC of the body with this workspace's app secret",
            s404="No workspace has this key, or it has no WhatsApp number",
            s422="The body is not a WhatsApp webhook payload",
        ),
    )
    async def whatsapp_webhook(
        self, request: Request[Any, Any, Any], public_key: Key, db: Db, platform: Plat
    ) -> dict[str, int]:
        """Meta posts messages and statuses here, signed. Messages are stored once (by id) and answered by a
        job; statuses move the delivery record forward (a 131047 sends the message again as the template)."""
        raw = await request.body()
        taken = await whatsapp.accept(platform, db, public_key, request.headers.get(whatsapp.SIGNATURE_HEADER), raw)
        return {"taken": taken}
