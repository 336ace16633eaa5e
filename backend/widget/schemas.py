"""The public widget endpoints' bodies: opening a member session, and what a page shows before one."""

from __future__ import annotations

import uuid
from typing import Annotated

import msgspec

from backend.channels.schemas import Theme

VISITOR_ID = r"^[A-Za-z0-9_-]{16,64}$"
AI_DISCLOSURE = "You are chatting with an AI trained on this coach's own material. It can make mistakes."


class SessionIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    key: Annotated[str, msgspec.Meta(min_length=1, max_length=64, description="the workspace's public widget key")]
    visitor_id: (
        Annotated[str, msgspec.Meta(pattern=VISITOR_ID, description="the random id the widget keeps for a visitor")]
        | None
    ) = None
    external_id: (
        Annotated[str, msgspec.Meta(min_length=1, max_length=200, description="the creator's own id for the member")]
        | None
    ) = None
    identity_hash: (
        Annotated[str, msgspec.Meta(max_length=128, description="hex(HMAC-SHA256(identity_secret, external_id))")]
        | None
    ) = None
    display_name: Annotated[str, msgspec.Meta(max_length=200)] | None = None
    timezone: Annotated[str, msgspec.Meta(max_length=64, description="IANA time zone, e.g. Europe/Paris")] | None = None


class SessionOut(msgspec.Struct, kw_only=True):
    member_id: uuid.UUID
    token: str  # a member token for /ws/chat and /api/v1/me/*
    expires_in: int
    token_type: str = "bearer"
    visitor_id: str | None = None  # the visitor id to keep (made here when the widget sent none)
    identified: bool = False


class WidgetConfigOut(msgspec.Struct, kw_only=True):
    """What the launcher and the chat page show before anyone has a session."""

    twin_name: str
    theme: Theme
    welcome_message: str
    starter_prompts: list[str]
    require_identity: bool
    ai_disclosure: str = AI_DISCLOSURE
