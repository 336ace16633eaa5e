"""The web channel's settings as the hub reads and writes them."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

import msgspec

MAX_ORIGINS = 50
MAX_STARTERS = 6

_OCTET = r"(25[0-5]|2[0-4]\d|1?\d?\d)"
_LABEL = r"[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_PORT = r"(6553[0-5]|655[0-2]\d|65[0-4]\d{2}|6[0-4]\d{3}|[1-5]\d{4}|[1-9]\d{0,3})"
# What backend/channels/origins.py accepts, as the OpenAPI says it (so a schema-valid list is a valid list).
ORIGIN = rf"^https?://(\*\.)?(localhost|{_OCTET}(\.{_OCTET}){{3}}|{_LABEL}(\.{_LABEL})+)(:{_PORT})?/?$"
# https://host[:port]; https://*.host for subdomains. (No description here: the schema plugin that carries a
# list item's bounds into the OpenAPI reads plain string constraints only.)
Origin = Annotated[str, msgspec.Meta(min_length=1, max_length=255, pattern=ORIGIN)]
Color = Annotated[str, msgspec.Meta(pattern=r"^#[0-9a-fA-F]{6}$", description="#RRGGBB")]
Prompt = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]


class Theme(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """How the widget looks on the creator's site (and on the companion page)."""

    color: Color = "#2563eb"
    position: Literal["right", "left"] = "right"
    color_scheme: Literal["auto", "light", "dark"] = "auto"
    launcher_label: Annotated[str, msgspec.Meta(min_length=1, max_length=40)] = "Chat"
    avatar_url: Annotated[str, msgspec.Meta(max_length=500, pattern=r"^https?://[^\s\"'<>]+$")] | None = None


class WebChannelOut(msgspec.Struct, kw_only=True):
    public_key: str
    allowed_origins: list[str]
    require_identity: bool
    theme: Theme
    welcome_message: str
    starter_prompts: list[str]
    identity_secret_set: bool  # the secret itself is shown once, when it is made
    identity_secret_rotated_at: datetime | None
    snippet: str  # the embed code to paste into the site
    companion_url: str  # the full-page chat for phones (installable)


class WebChannelIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Any of the settings; a field left out keeps its value. `public_key` cannot be changed."""

    allowed_origins: Annotated[list[Origin], msgspec.Meta(max_length=MAX_ORIGINS)] | None = None
    require_identity: bool | None = None
    theme: Theme | None = None
    welcome_message: Annotated[str, msgspec.Meta(max_length=1000)] | None = None
    starter_prompts: Annotated[list[Prompt], msgspec.Meta(max_length=MAX_STARTERS)] | None = None


class IdentitySecretOut(msgspec.Struct, kw_only=True):
    identity_secret: str
    rotated_at: datetime


ApiBase = Annotated[str, msgspec.Meta(min_length=1, max_length=300, pattern=r"^https?://[^\s\"'<>]+$")]
Secret = Annotated[str, msgspec.Meta(min_length=1, max_length=500, pattern=r"^\S+$")]


class TelegramIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """A bot token from @BotFather; `api_base` points at another Bot API server (defaults to Telegram's)."""

    bot_token: Annotated[str, msgspec.Meta(min_length=3, max_length=200, pattern=r"^[0-9]{1,20}:[A-Za-z0-9_-]{1,150}$")]
    api_base: ApiBase | None = None


class TelegramOut(msgspec.Struct, kw_only=True):
    connected: bool
    bot_username: str | None = None
    webhook_url: str | None = None
    webhook_set: bool = False
    last_update_at: datetime | None = None
    last_error: str | None = None


class WhatsAppIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """A WhatsApp Cloud API number; the template is what may be sent outside the 24-hour window."""

    phone_number_id: Annotated[str, msgspec.Meta(min_length=1, max_length=40, pattern=r"^[0-9]+$")]
    access_token: Secret
    app_secret: Secret
    verify_token: Annotated[str, msgspec.Meta(min_length=8, max_length=200, pattern=r"^\S+$")]
    api_base: ApiBase | None = None
    api_version: Annotated[str, msgspec.Meta(pattern=r"^v[0-9]{1,3}\.[0-9]{1,2}$")] | None = None
    template_name: Annotated[str, msgspec.Meta(min_length=1, max_length=512, pattern=r"^[a-z0-9_]+$")] | None = None
    template_language: Annotated[str, msgspec.Meta(min_length=2, max_length=15, pattern=r"^[A-Za-z_]+$")] | None = None


class WhatsAppOut(msgspec.Struct, kw_only=True):
    connected: bool
    phone_number_id: str | None = None
    webhook_url: str | None = None
    template_name: str | None = None
    template_language: str | None = None
    last_update_at: datetime | None = None
    last_error: str | None = None


class TelegramLinkIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    member_id: uuid.UUID


class TelegramLinkOut(msgspec.Struct, kw_only=True):
    """`https://t.me/{bot}?start={token}`: opening it in Telegram links the chat to this member (once)."""

    url: str
    token: str
    expires_at: datetime
