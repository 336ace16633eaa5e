"""The API's dev mailbox (APP_ENV=dev with no SMTP_URL): mails captured instead of sent.

Not part of the API's OpenAPI (it exists only in that setup), so its shape is declared here, not generated."""

from __future__ import annotations

import msgspec

from frontend.api.transport import ApiError, send


class DevMail(msgspec.Struct, kw_only=True):
    id: str
    kind: str
    to: str
    subject: str
    date: str
    text: str
    links: list[str]


async def mailbox(to: str | None = None, limit: int = 50) -> list[DevMail]:
    params: dict[str, str | int] = {"limit": limit}
    if to:
        params["to"] = to
    return await send("GET", "/api/v1/dev/mailbox", params=params, into=list[DevMail])


async def captured() -> bool:
    """Whether mail is captured in the dev mailbox (the route exists only then) rather than sent."""
    try:
        await mailbox(limit=1)
    except ApiError:
        return False
    return True
