"""A creator in members' conversations: take over, reply as themselves, hand back; members' ratings."""

from __future__ import annotations

from frontend.api.contracts import ConversationState, CreatorMessageIn, CreatorMessageOut, FeedbackItem
from frontend.api.transport import send

BASE = "/api/v1/conversations"


async def take_over(token: str, conversation_id: str) -> ConversationState:
    return await send("POST", f"{BASE}/{conversation_id}/takeover", token, into=ConversationState)


async def release(token: str, conversation_id: str) -> ConversationState:
    return await send("POST", f"{BASE}/{conversation_id}/release", token, into=ConversationState)


async def reply(token: str, conversation_id: str, text: str) -> CreatorMessageOut:
    body = CreatorMessageIn(text=text)
    return await send("POST", f"{BASE}/{conversation_id}/messages", token, body=body, into=CreatorMessageOut)


async def feedback(token: str, rating: str | None = None) -> list[FeedbackItem]:
    params = {"rating": rating} if rating else None
    return await send("GET", "/api/v1/feedback", token, params=params, into=list[FeedbackItem])
