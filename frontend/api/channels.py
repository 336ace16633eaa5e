"""Channels: the web widget's settings and its identity secret, a Telegram bot, a WhatsApp number."""

from __future__ import annotations

from frontend.api.contracts import (
    IdentitySecretOut,
    TelegramIn,
    TelegramOut,
    WebChannelIn,
    WebChannelOut,
    WhatsAppIn,
    WhatsAppOut,
)
from frontend.api.transport import send

BASE = "/api/v1/channels"


async def web(token: str) -> WebChannelOut:
    return await send("GET", f"{BASE}/web", token, into=WebChannelOut)


async def save_web(token: str, body: WebChannelIn) -> WebChannelOut:
    return await send("PUT", f"{BASE}/web", token, body=body, into=WebChannelOut)


async def rotate_identity_secret(token: str) -> IdentitySecretOut:
    return await send("POST", f"{BASE}/web/identity-secret", token, into=IdentitySecretOut)


async def telegram(token: str) -> TelegramOut:
    return await send("GET", f"{BASE}/telegram", token, into=TelegramOut)


async def connect_telegram(token: str, body: TelegramIn) -> TelegramOut:
    return await send("PUT", f"{BASE}/telegram", token, body=body, into=TelegramOut)


async def disconnect_telegram(token: str) -> None:
    await send("DELETE", f"{BASE}/telegram", token)


async def whatsapp(token: str) -> WhatsAppOut:
    return await send("GET", f"{BASE}/whatsapp", token, into=WhatsAppOut)


async def connect_whatsapp(token: str, body: WhatsAppIn) -> WhatsAppOut:
    return await send("PUT", f"{BASE}/whatsapp", token, body=body, into=WhatsAppOut)


async def disconnect_whatsapp(token: str) -> None:
    await send("DELETE", f"{BASE}/whatsapp", token)
