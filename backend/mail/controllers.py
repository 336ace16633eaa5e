"""The dev mailbox: mails captured instead of sent (APP_ENV=dev with no SMTP_URL), readable from loopback only.

The app mounts this controller only in that case (see `backend/app.py`): in every other setup the path does
not exist.
"""

from __future__ import annotations

import asyncio
import ipaddress
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, get
from litestar.params import FromPath, Parameter

from backend.lib.deps import Plat
from backend.lib.edge import EXCLUDE_FROM_AUTH
from backend.lib.errors import Forbidden, NotFound
from backend.mail.transport import dev_mailbox


class DevMail(msgspec.Struct):
    id: str
    kind: str
    to: str
    subject: str
    date: str
    text: str
    html: str
    links: list[str]
    sender: str = msgspec.field(name="from")


def _loopback_only(request: Request[Any, Any, Any]) -> None:
    host = request.client.host if request.client else ""
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise Forbidden("The dev mailbox answers only on this machine (loopback)")


class DevMailboxController(Controller):
    path = "/api/v1/dev/mailbox"
    tags = ["dev"]
    opt = {EXCLUDE_FROM_AUTH: True}
    security = []  # type: ignore[var-annotated]
    # A dev tool, not part of the API's contract: the OpenAPI (and the hub's contracts) are the same in every
    # setup. Documented in the README.
    include_in_schema = False

    @get("/", summary="Mails captured in dev (not sent)")
    async def list_mail(
        self,
        request: Request[Any, Any, Any],
        platform: Plat,
        to: Annotated[str | None, Parameter(max_length=320)] = None,
        limit: Annotated[int, Parameter(ge=1, le=200)] = 50,
    ) -> list[DevMail]:
        """Newest first; `to` filters by recipient. Exists only with APP_ENV=dev and no SMTP_URL, on loopback."""
        _loopback_only(request)
        entries = await asyncio.to_thread(dev_mailbox(platform.settings).list, to, limit)
        return [msgspec.convert(e, DevMail) for e in entries]

    @get("/{mail_id:str}", summary="One captured mail")
    async def read_mail(self, request: Request[Any, Any, Any], platform: Plat, mail_id: FromPath[str]) -> DevMail:
        _loopback_only(request)
        entry = await asyncio.to_thread(dev_mailbox(platform.settings).get, mail_id)
        if entry is None:
            raise NotFound("No such mail in the dev mailbox")
        return msgspec.convert(entry, DevMail)
