"""Telegram's webhook updates, decoded strictly into the few shapes we act on.

An update carries exactly one of `message`, `callback_query`, `my_chat_member` (the ones `setWebhook` asks for);
anything else is decoded as an update with none of them and ignored. Telegram's field `from` is a Python keyword:
it is `sender` here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

import msgspec


class TgUser(msgspec.Struct, frozen=True):
    id: int
    is_bot: bool = False
    first_name: str = ""
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = None

    @property
    def display_name(self) -> str:
        return " ".join(p for p in (self.first_name, self.last_name) if p) or (self.username or "")


class TgChat(msgspec.Struct, frozen=True):
    id: int
    type: str


class TgMessage(msgspec.Struct, frozen=True):
    message_id: int
    date: int
    chat: TgChat
    sender: TgUser | None = msgspec.field(default=None, name="from")
    text: str | None = None


class TgCallbackQuery(msgspec.Struct, frozen=True):
    id: str
    sender: TgUser = msgspec.field(name="from")
    message: TgMessage | None = None
    data: str | None = None


class TgChatMember(msgspec.Struct, frozen=True):
    status: str  # creator, administrator, member, restricted, left, kicked
    user: TgUser


class TgChatMemberUpdated(msgspec.Struct, frozen=True):
    chat: TgChat
    sender: TgUser = msgspec.field(name="from")
    date: int = 0
    old_chat_member: TgChatMember | None = None
    new_chat_member: TgChatMember | None = None


class TgUpdate(msgspec.Struct, frozen=True):
    update_id: int
    message: TgMessage | None = None
    callback_query: TgCallbackQuery | None = None
    my_chat_member: TgChatMemberUpdated | None = None


_DECODER = msgspec.json.Decoder(TgUpdate)


class UpdateError(ValueError):
    """The body is not a Telegram update."""


def decode_update(raw: bytes) -> TgUpdate:
    try:
        return _DECODER.decode(raw)
    except msgspec.DecodeError as exc:
        raise UpdateError(str(exc)[:200]) from None


class Kind(StrEnum):
    TEXT = "text"  # a member wrote to the bot
    START = "start"  # /start [payload]: link the chat to a member
    STOP = "stop"  # /stop: opt out of Telegram
    BUTTON = "button"  # an answer button (inline keyboard) was pressed
    BLOCKED = "blocked"  # the member blocked the bot
    UNBLOCKED = "unblocked"  # ... and came back
    IGNORED = "ignored"  # groups, edits, other bots, service messages


@dataclass(frozen=True)
class Inbound:
    """What an update means to us, in one flat shape."""

    kind: Kind
    update_id: int
    chat_id: int = 0
    user: TgUser | None = None
    text: str = ""  # the message, the /start payload, or the pressed button's data
    message_id: int = 0
    callback_query_id: str = ""


_COMMAND = re.compile(r"^/(?P<name>[A-Za-z0-9_]{1,32})(?:@[A-Za-z0-9_]+)?(?:\s+(?P<arg>.*))?$", re.S)


def interpret(update: TgUpdate) -> Inbound:
    """One update -> one `Inbound`. Only private chats with people count; groups and bots are ignored."""
    uid = update.update_id
    if (m := update.message) is not None:
        if m.chat.type != "private" or m.sender is None or m.sender.is_bot or m.text is None:
            return Inbound(Kind.IGNORED, uid)
        cmd = _COMMAND.match(m.text.strip())
        name = cmd["name"].lower() if cmd else ""
        if cmd and name in ("start", "stop"):
            kind, text = (Kind.START if name == "start" else Kind.STOP), (cmd["arg"] or "").strip()
        else:
            kind, text = Kind.TEXT, m.text
        return Inbound(kind, uid, chat_id=m.chat.id, user=m.sender, text=text, message_id=m.message_id)
    if (q := update.callback_query) is not None:
        if q.message is None or q.message.chat.type != "private" or q.data is None:
            return Inbound(Kind.IGNORED, uid)
        return Inbound(
            Kind.BUTTON,
            uid,
            chat_id=q.message.chat.id,
            user=q.sender,
            text=q.data,
            message_id=q.message.message_id,
            callback_query_id=q.id,
        )
    if (c := update.my_chat_member) is not None and c.chat.type == "private" and c.new_chat_member is not None:
        status = c.new_chat_member.status
        if status == "kicked":
            return Inbound(Kind.BLOCKED, uid, chat_id=c.chat.id, user=c.sender)
        if status == "member":
            return Inbound(Kind.UNBLOCKED, uid, chat_id=c.chat.id, user=c.sender)
    return Inbound(Kind.IGNORED, uid)
