"""A message as a member's screen shows it: the same shape in `GET /me/messages` and in pushed frames."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import msgspec

from common.enums import MessageSender
from common.models import Message

_ENCODE = msgspec.json.Encoder().encode


class CheckIn(msgspec.Struct, kw_only=True):
    """A program's question the member answers with a button (or in words, for `text`)."""

    enrollment_id: str | None = None
    node_id: str
    kind: str  # scale | yes_no | number | text
    options: list[str] = []  # the answers to offer as buttons, in order (empty: free text)
    min: float | None = None
    max: float | None = None


class MemberMessage(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    role: str  # who spoke: member | twin | creator | program | proactive
    text: str
    created_at: datetime
    conversation_id: uuid.UUID
    channel: str
    author: str | None = None  # a creator's name on their own replies
    client_id: str | None = None  # the member's own id for a message they sent (retries, optimistic display)
    mode: str | None = None  # a twin reply: llm | extractive | program
    grounded: bool | None = None
    citations: list[dict[str, Any]] = []
    check_in: CheckIn | None = None
    safety: str | None = None
    feedback: str | None = None  # the member's thumbs on a twin reply: up | down


def check_in_meta(node: dict[str, Any], enrollment_id: uuid.UUID | None = None) -> dict[str, Any]:
    """What a check-in node's message carries so the chat can offer its answers as buttons."""
    kind = str(node.get("kind") or "text")
    meta: dict[str, Any] = {"node_id": str(node.get("id", "")), "kind": kind}
    if enrollment_id is not None:
        meta["enrollment_id"] = str(enrollment_id)
    if kind == "scale":
        lo, hi = node.get("min", 1), node.get("max", 5)
        meta.update(min=lo, max=hi)
        if isinstance(lo, int | float) and isinstance(hi, int | float) and 0 <= hi - lo <= 10:
            meta["options"] = [str(int(lo) + i) for i in range(int(hi) - int(lo) + 1)]
    elif kind == "yes_no":
        meta["options"] = ["Yes", "No"]
    return meta


def member_message(m: Message, feedback: str | None = None) -> MemberMessage:
    meta = m.meta or {}
    check_in = meta.get("check_in")
    return MemberMessage(
        id=m.id,
        role=m.sender,
        text=m.content,
        created_at=m.created_at,
        conversation_id=m.conversation_id,
        channel=m.channel,
        author=meta.get("author_name"),
        client_id=m.client_id if m.sender == MessageSender.member else None,
        mode=m.mode if m.sender != MessageSender.member else None,
        grounded=m.grounded,
        citations=list(m.citations or []),
        check_in=msgspec.convert(check_in, CheckIn) if isinstance(check_in, dict) else None,
        safety=m.safety,
        feedback=feedback,
    )


def message_frame(message: MemberMessage) -> str:
    """The `{"type": "message", ...}` frame a member socket receives (JSON text, encoded once)."""
    body = _ENCODE(message)
    return '{"type":"message",' + body[1:].decode()


def event_frame(kind: str, **fields: Any) -> str:
    return _ENCODE({"type": kind, **fields}).decode()
