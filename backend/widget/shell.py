"""What the chat pages (the widget's iframe and the companion page) show, read by the workspace's public key.

A page load is a navigation: the browser sends no `Origin`, so the origin rule is not checked here but
handed to the browser as the page's `Content-Security-Policy: frame-ancestors` (a site that may not embed
the widget gets an empty frame, and its visitors never get a session: creating one checks the Origin).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from backend.channels import service as channels
from backend.channels.origins import frame_ancestors
from backend.channels.schemas import Theme
from backend.lib.platform import Platform
from backend.widget import service
from backend.widget.schemas import AI_DISCLOSURE


@dataclass(frozen=True, slots=True)
class PageSettings:
    creator_id: uuid.UUID
    key: str
    twin_name: str
    theme: Theme
    welcome_message: str
    starter_prompts: list[str]
    require_identity: bool
    frame_ancestors: str  # the CSP directive for the widget's iframe
    ai_disclosure: str = AI_DISCLOSURE


async def page_settings(platform: Platform, db: AsyncSession, key: str, ip: str) -> PageSettings:
    """The workspace behind `key` as its pages show it (404 for an unknown key; 429 past the rate limits)."""
    await service.limit_ip(platform, ip)
    creator_id, row = await service.workspace(platform, db, key)
    name = await service.twin_name(db, creator_id)
    return PageSettings(
        creator_id=creator_id,
        key=key,
        twin_name=name,
        theme=channels.theme_of(row),
        welcome_message=row.welcome_message.strip() or f"Hello! I'm the AI twin of {name}. What is on your mind?",
        starter_prompts=list(row.starter_prompts),
        require_identity=row.require_identity,
        frame_ancestors=frame_ancestors(list(row.allowed_origins)),
    )
