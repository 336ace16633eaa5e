"""HTTP for a member's own chat: `/api/v1/me` (member token only)."""

from __future__ import annotations

import uuid
from typing import Annotated

from litestar import Controller, get, post, put
from litestar.params import JSONBody, QueryParameter

from backend.channels.schemas import TelegramLinkOut
from backend.channels.telegram import service as telegram
from backend.engagement import service as engagement
from backend.engagement.schemas import PreferencesIn, PreferencesOut
from backend.lib.deps import Caller, Db, Plat
from backend.lib.openapi import errors
from backend.lib.principal import member_only
from backend.me import service, view
from backend.me.schemas import FeedbackIn, FeedbackOut, HandoffIn, HandoffOut, MemberView, MessagesOut
from backend.widget.service import twin_name


class MeController(Controller):
    path = "/api/v1/me"
    tags = ["me"]
    guards = [member_only]

    @get("/")
    async def me(self, db: Db, platform: Plat, principal: Caller) -> MemberView:
        """The member's view: the twin, welcome and starters, takeover, current program step, streak, goals, and
        the messaging apps they can continue in."""
        return await view.view(platform, db, principal)

    @get("/messages", responses=errors(404, s404="`after`/`before` names no message of this member"))
    async def messages(
        self,
        db: Db,
        principal: Caller,
        after: Annotated[uuid.UUID | None, QueryParameter(description="the messages after this one")] = None,
        before: Annotated[uuid.UUID | None, QueryParameter(description="the page before this one")] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=500)] = 100,
    ) -> MessagesOut:
        """The member's conversation across channels, oldest first: their messages, the twin's replies,
        program messages and the creator's. Without `after`/`before`: the latest `limit`."""
        return await service.messages(db, principal, after, before, limit)

    @post("/feedback", status_code=200, responses=errors(404, 429, s404="No such message of this member"))
    async def feedback(self, data: JSONBody[FeedbackIn], db: Db, platform: Plat, principal: Caller) -> FeedbackOut:
        """Thumbs up or down (and a comment) on one of the twin's replies; voting again replaces the vote."""
        return await service.feedback(platform, db, principal, data)

    @post("/handoff", status_code=200, responses=errors(429))
    async def handoff(
        self, db: Db, platform: Plat, principal: Caller, data: JSONBody[HandoffIn | None] = None
    ) -> HandoffOut:
        """Ask for a person: the creator sees the request in the hub; the twin says so in the conversation."""
        name = await twin_name(db, principal.creator_id)
        coach = await service.workspace_person(db, principal.creator_id)
        return await service.handoff(platform, db, principal, data.reason if data else None, name, coach)

    @post(
        "/telegram-link",
        status_code=201,
        responses=errors(404, s404="This coach has no Telegram bot connected"),
    )
    async def telegram_link(self, db: Db, platform: Plat, principal: Caller) -> TelegramLinkOut:
        """The member's own one-time link (24 hours) to continue in Telegram: opening it joins that chat to them."""
        return await telegram.link(platform, db, principal.creator_id, principal.subject_id)

    @get("/preferences")
    async def preferences(self, db: Db, principal: Caller) -> PreferencesOut:
        """The member's reminder preferences: quiet hours (their local time), pause, channels opted out of."""
        return engagement.preferences_out(
            await engagement.engagement_of(db, principal.creator_id, principal.subject_id)
        )

    @put("/preferences")
    async def set_preferences(self, data: JSONBody[PreferencesIn], db: Db, principal: Caller) -> PreferencesOut:
        """Change them: the fields sent replace the stored ones (`paused_until` in the past resumes reminders;
        `opt_out_channels` may hold "all")."""
        return await engagement.set_preferences(db, principal, data)
