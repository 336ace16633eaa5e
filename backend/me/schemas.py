"""What a member's own chat (widget, companion page) reads and sends about itself."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

import msgspec

from backend.channels.schemas import Theme
from backend.delivery.frames import CheckIn, MemberMessage
from common.enums import Rating


class MessagesOut(msgspec.Struct, kw_only=True):
    messages: list[MemberMessage]
    has_more: bool  # more messages after the last one here (ask again with `after`)


class FeedbackIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    message_id: uuid.UUID
    rating: Rating
    comment: Annotated[str, msgspec.Meta(max_length=2000)] | None = None


class FeedbackOut(msgspec.Struct, kw_only=True):
    message_id: uuid.UUID
    rating: Rating
    comment: str
    updated_at: datetime


class HandoffIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    reason: Annotated[str, msgspec.Meta(max_length=1000)] | None = None


class HandoffOut(msgspec.Struct, kw_only=True):
    conversation_id: uuid.UUID
    requested_at: datetime
    message: MemberMessage  # the acknowledgement written into the conversation


class MemberRef(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    display_name: str
    identified: bool  # signed in on the creator's site (an external id), not an anonymous visitor
    timezone: str


class TwinRef(msgspec.Struct, kw_only=True):
    name: str
    avatar_url: str | None = None


class Takeover(msgspec.Struct, kw_only=True):
    active: bool
    by: str | None = None  # the creator's name while they hold the conversation
    since: datetime | None = None
    handoff_requested_at: datetime | None = None


class ProgramStepView(msgspec.Struct, kw_only=True):
    node_id: str
    type: str  # message | checkin | wait | twin | goal | end ...
    label: str
    waiting: str | None  # answer (a check-in is open) | twin (a conversation step) | timer | None


class ProgramView(msgspec.Struct, kw_only=True):
    enrollment_id: uuid.UUID
    program_id: uuid.UUID
    name: str
    status: str
    step: ProgramStepView | None
    check_in: CheckIn | None  # the open check-in, with its answers as buttons
    steps_taken: int
    enrolled_at: datetime


class Streak(msgspec.Struct, kw_only=True):
    current: int  # days with a check-in answer or a message in the run still alive (member's time zone; one
    # missed day forgiven, as in backend/lib/streaks.py)
    best: int  # the longest such run in the last STREAK_DAYS days
    today: bool  # today already counts


class Goal(msgspec.Struct, kw_only=True):
    name: str
    source: str  # program (a goal step) | member (something they said they want)
    done: bool
    achieved_at: datetime | None = None


class MemberView(msgspec.Struct, kw_only=True):
    """Everything the chat UI and the companion page render about the member, in one read."""

    member: MemberRef
    twin: TwinRef
    welcome_message: str
    starter_prompts: list[str]
    theme: Theme
    ai_disclosure: str
    conversation_id: uuid.UUID | None
    takeover: Takeover
    program: ProgramView | None
    streak: Streak
    goals: list[Goal]
    # Messaging apps where the member can continue with the twin (linked with POST /me/telegram-link).
    channels: list[str] = msgspec.field(default_factory=list)
