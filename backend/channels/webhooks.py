"""The messaging providers' webhooks: no account, the workspace's public key in the path, and the
provider's proof (Telegram's secret token header, WhatsApp's signature) checked before anything is read."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, post
from litestar.params import Parameter

from backend.channels.telegram import service as telegram
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
