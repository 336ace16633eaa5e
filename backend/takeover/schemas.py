"""A creator holding a member's conversation, and what the hub lists for them to look at."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

import msgspec

from backend.delivery.frames import MemberMessage


class CreatorMessageIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    text: Annotated[str, msgspec.Meta(min_length=1, max_length=4000)]


class Holder(msgspec.Struct, kw_only=True):
    user_id: uuid.UUID
    name: str


class ConversationState(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    member_id: uuid.UUID
    taken_over: bool  # a creator holds it: the twin stays silent
    holder: Holder | None
    taken_over_at: datetime | None
    handoff_requested_at: datetime | None  # the member asked for a person (cleared when someone takes over)
    handoff_reason: str | None


class CreatorMessageOut(msgspec.Struct, kw_only=True):
    message: MemberMessage  # as the member sees it
    conversation: ConversationState
    delivery_id: uuid.UUID  # the outbox row (its status is in the delivery log)
    channel: str


class FeedbackItem(msgspec.Struct, kw_only=True):
    message_id: uuid.UUID
    conversation_id: uuid.UUID
    member_id: uuid.UUID
    member_name: str
    rating: str
    comment: str
    reply: str  # the twin's reply that was rated
    rated_at: datetime
