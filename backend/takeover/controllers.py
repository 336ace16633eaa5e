"""HTTP for creators in a member's conversation: take over, reply as themselves, hand back; ratings."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from litestar import Controller, get, post
from litestar.params import FromPath, JSONBody, QueryParameter

from backend.lib.deps import Caller, Db, Plat
from backend.lib.openapi import errors
from backend.lib.principal import min_role
from backend.takeover import service
from backend.takeover.schemas import ConversationState, CreatorMessageIn, CreatorMessageOut, FeedbackItem
from common.enums import Role

PLAYGROUND = "A playground conversation is not a member's: it cannot be taken over"


class TakeoverController(Controller):
    path = "/api/v1/conversations"
    tags = ["conversations"]
    guards = [min_role(Role.editor)]

    @post("/{conversation_id:uuid}/takeover", status_code=200, responses=errors(409, s409=PLAYGROUND))
    async def take_over(
        self, conversation_id: FromPath[uuid.UUID], db: Db, platform: Plat, principal: Caller
    ) -> ConversationState:
        """Hold the conversation: the twin stops answering in it until it is released."""
        return await service.take_over(platform, db, principal, conversation_id)

    @post("/{conversation_id:uuid}/messages", status_code=201, responses=errors(409, s409=PLAYGROUND))
    async def message(
        self,
        conversation_id: FromPath[uuid.UUID],
        data: JSONBody[CreatorMessageIn],
        db: Db,
        platform: Plat,
        principal: Caller,
    ) -> CreatorMessageOut:
        """Reply to the member as yourself (the member sees your name); takes the conversation over if needed."""
        return await service.reply(platform, db, principal, conversation_id, data.text)

    @post("/{conversation_id:uuid}/release", status_code=200, responses=errors(409, s409=PLAYGROUND))
    async def release(
        self, conversation_id: FromPath[uuid.UUID], db: Db, platform: Plat, principal: Caller
    ) -> ConversationState:
        """Hand the conversation back to the twin."""
        return await service.release(platform, db, principal, conversation_id)


class FeedbackController(Controller):
    path = "/api/v1/feedback"
    tags = ["conversations"]
    guards = [min_role(Role.viewer)]

    @get("/")
    async def list_feedback(
        self,
        db: Db,
        rating: Annotated[Literal["up", "down"] | None, QueryParameter(description="only this rating")] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=200)] = 50,
    ) -> list[FeedbackItem]:
        """Members' thumbs on twin replies, newest first; `rating=down` lists the replies to look at."""
        return await service.feedback(db, rating, limit)
