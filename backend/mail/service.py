"""Queue mails off the request path: a request never waits for, or fails because of, the mail server.

Mails that carry links to rows written in a request are queued once it commits: `after_commit(db, ...)`."""

from __future__ import annotations

import msgspec
import structlog

from backend.lib.platform import Platform
from backend.mail.message import Mail, masked

log = structlog.get_logger()
# Delivery attempts and their spacing: 2 s, then doubling with jitter, at most a minute apart (~5 minutes).
ATTEMPTS = 8


async def queue(platform: Platform, *mails: Mail) -> None:
    """Hand each mail to the job queue. Never raises: a mail that cannot be queued is logged."""
    for mail in mails:
        try:
            await platform.services.jobs.enqueue(
                "send_mail",
                mail=msgspec.to_builtins(mail),
                timeout=60,
                retries=ATTEMPTS,
                retry_delay=2.0,
                retry_backoff=60.0,
            )
        except Exception:
            log.exception("mail_not_queued", kind=mail.kind, to=masked(mail.to))
