"""Channels: the web widget's settings and its identity secret (Telegram and WhatsApp come next)."""

from __future__ import annotations

from frontend.api.contracts import IdentitySecretOut, WebChannelIn, WebChannelOut
from frontend.api.transport import send

BASE = "/api/v1/channels"


async def web(token: str) -> WebChannelOut:
    return await send("GET", f"{BASE}/web", token, into=WebChannelOut)


async def save_web(token: str, body: WebChannelIn) -> WebChannelOut:
    return await send("PUT", f"{BASE}/web", token, body=body, into=WebChannelOut)


async def rotate_identity_secret(token: str) -> IdentitySecretOut:
    return await send("POST", f"{BASE}/web/identity-secret", token, into=IdentitySecretOut)
