"""The job that sends one mail; the queue retries it with backoff when the server cannot be reached."""

from __future__ import annotations

import asyncio
from typing import Any

import aiosmtplib
import msgspec
import structlog

from backend.lib.platform import Platform
from backend.mail.message import Mail, build, masked
from backend.mail.transport import dev_mailbox, send_smtp

log = structlog.get_logger()


async def send_mail(ctx: dict[str, Any], *, mail: dict[str, Any]) -> str:
    platform: Platform = ctx["platform"]
    settings = platform.settings
    outgoing = msgspec.convert(mail, Mail)
    message = build(outgoing, settings.mail_from)
    to = masked(outgoing.to)
    if settings.mail_captured:
        entry = await asyncio.to_thread(dev_mailbox(settings).store, message, outgoing.kind)
        # letter_opener's way: in dev nothing leaves the machine; the log says so and where to read it.
        log.warning(
            "mail_not_sent",
            reason="no SMTP_URL (dev): captured in the dev mailbox, GET /api/v1/dev/mailbox",
            kind=outgoing.kind,
            to=to,
            mailbox_id=entry["id"],
            links=entry["links"],
        )
        return "captured"
    job = ctx.get("job")
    attempt, retries = (job.attempts, job.retries) if job is not None else (1, 1)
    try:
        await send_smtp(settings, message)
    except aiosmtplib.SMTPResponseException as exc:
        if exc.code >= 500:  # refused for good (unknown recipient, policy): retrying cannot help
            log.error("mail_refused", kind=outgoing.kind, to=to, code=exc.code, reason=exc.message[:200])
            return "refused"
        log.warning("mail_failed", kind=outgoing.kind, to=to, attempt=attempt, of=retries, error=str(exc)[:200])
        raise
    except (aiosmtplib.SMTPException, OSError) as exc:
        log.warning("mail_failed", kind=outgoing.kind, to=to, attempt=attempt, of=retries, error=str(exc)[:200])
        raise
    log.info("mail_sent", kind=outgoing.kind, to=to)
    return "sent"
