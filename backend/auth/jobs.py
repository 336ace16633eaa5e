"""Background work of the account flows: what differs between a known and an unknown address runs here, so
the request that asked for it answers the same in the same time."""

from __future__ import annotations

from typing import Any

import structlog

from backend.auth.accounts import queue_mail, reset_mail, signup_mail
from backend.lib.platform import Platform
from backend.mail.message import masked

log = structlog.get_logger()


async def signup_requested(
    ctx: dict[str, Any], *, email: str, full_name: str, workspace_name: str | None, password_hash: str
) -> str:
    platform: Platform = ctx["platform"]
    payload = {"full_name": full_name, "workspace_name": workspace_name, "password_hash": password_hash}
    async with platform.db.session(None) as db:
        outgoing = await signup_mail(platform, db, email, full_name, payload)
        await db.commit()
    await queue_mail(platform, outgoing)
    return outgoing.kind


async def password_reset_requested(ctx: dict[str, Any], *, email: str) -> str:
    platform: Platform = ctx["platform"]
    async with platform.db.session(None) as db:
        outgoing = await reset_mail(platform, db, email)
        await db.commit()
    if outgoing is None:
        log.info("password_reset_unknown_address", to=masked(email))
        return "no_account"
    await queue_mail(platform, outgoing)
    return outgoing.kind
