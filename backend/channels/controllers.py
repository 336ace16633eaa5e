"""HTTP for the workspace's channels (the web widget now; Telegram and WhatsApp next)."""

from __future__ import annotations

from litestar import Controller, get, post, put
from litestar.params import JSONBody

from backend.channels import service
from backend.channels.schemas import IdentitySecretOut, WebChannelIn, WebChannelOut
from backend.lib.crypto import SecretBox
from backend.lib.deps import Caller, Db, Plat
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
