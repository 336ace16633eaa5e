"""Where a built mail goes: an SMTP server (aiosmtplib), or the dev mailbox when none is configured."""

from __future__ import annotations

import json
import re
import time
import uuid
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import aiosmtplib

from common.settings import Settings

_LINK = re.compile(r"https?://\S+")
_ID = re.compile(r"^[0-9]{13}-[0-9a-f]{32}$")


@dataclass(frozen=True, slots=True)
class SmtpTarget:
    hostname: str
    port: int
    username: str | None
    password: str | None
    use_tls: bool  # TLS from the first byte (smtps)
    start_tls: bool | None  # True: required; None: when the server offers it; False: never


def smtp_target(settings: Settings) -> SmtpTarget:
    """`smtp://user:pass@host:port` (STARTTLS when offered) or `smtps://` (implicit TLS); SMTP_SECURITY overrides."""
    url = urlsplit(settings.smtp_url)
    if url.scheme not in {"smtp", "smtps"} or not url.hostname:
        raise ValueError("SMTP_URL must look like smtp://user:pass@host:587 or smtps://user:pass@host:465")
    security = "ssl" if url.scheme == "smtps" else settings.smtp_security
    return SmtpTarget(
        hostname=url.hostname,
        port=url.port or (465 if security == "ssl" else 25),
        username=unquote(url.username) if url.username else None,
        password=unquote(url.password) if url.password else None,
        use_tls=security == "ssl",
        start_tls={"starttls": True, "none": False}.get(security),
    )


async def send_smtp(settings: Settings, message: EmailMessage) -> None:
    target = smtp_target(settings)
    await aiosmtplib.send(
        message,
        hostname=target.hostname,
        port=target.port,
        username=target.username,
        password=target.password,
        use_tls=target.use_tls,
        start_tls=target.start_tls,
        validate_certs=settings.smtp_validate_certs,
        timeout=settings.smtp_timeout,
    )


class DevMailbox:
    """Mails that were not sent (dev, no SMTP_URL), one JSON file each under DATA_DIR/mail."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def store(self, message: EmailMessage, kind: str) -> dict[str, Any]:
        self.folder.mkdir(parents=True, exist_ok=True)
        text_part = message.get_body(("plain",))
        html_part = message.get_body(("html",))
        text = text_part.get_content() if text_part is not None else ""
        entry = {
            "id": f"{int(time.time() * 1000):013d}-{uuid.uuid4().hex}",
            "kind": kind,
            "from": str(message["From"]),
            "to": str(message["To"]),
            "subject": str(message["Subject"]),
            "date": str(message["Date"]),
            "text": text,
            "html": html_part.get_content() if html_part is not None else "",
            "links": _LINK.findall(text),
        }
        path = self.folder / f"{entry['id']}.json"
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(entry))
        tmp.replace(path)  # readers never see half a file
        return entry

    def list(self, to: str | None = None, limit: int = 50) -> list[dict[str, Any]]:
        """Newest first; `to` filters by recipient (case-insensitive)."""
        if not self.folder.is_dir():
            return []
        found: list[dict[str, Any]] = []
        for path in sorted(self.folder.glob("*.json"), reverse=True):
            entry = json.loads(path.read_text())
            if to is None or entry["to"].lower() == to.lower():
                found.append(entry)
                if len(found) >= limit:
                    break
        return found

    def get(self, mail_id: str) -> dict[str, Any] | None:
        if not _ID.match(mail_id):
            return None
        path = self.folder / f"{mail_id}.json"
        return json.loads(path.read_text()) if path.is_file() else None


def dev_mailbox(settings: Settings) -> DevMailbox:
    return DevMailbox(settings.data_dir / "mail")
