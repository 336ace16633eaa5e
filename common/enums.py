"""Enumerations shared by the API and the hub."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    owner = "owner"
    admin = "admin"
    editor = "editor"
    viewer = "viewer"

    @property
    def rank(self) -> int:
        return _RANKS[self]

    def at_least(self, other: Role) -> bool:
        return self.rank >= other.rank


_RANKS = {Role.viewer: 0, Role.editor: 1, Role.admin: 2, Role.owner: 3}


class PrincipalKind(StrEnum):
    staff = "staff"
    member = "member"


class DocumentStatus(StrEnum):
    queued = "queued"
    processing = "processing"
    ready = "ready"
    failed = "failed"


class Channel(StrEnum):
    """Where a message was said or sent. `hub`: the creator's playground."""

    web = "web"
    hub = "hub"
    telegram = "telegram"
    whatsapp = "whatsapp"


class MessageSender(StrEnum):
    """Who spoke: the member, the twin, the creator (takeover), a program step, a proactive nudge."""

    member = "member"
    twin = "twin"
    creator = "creator"
    program = "program"
    proactive = "proactive"


class IdentityKind(StrEnum):
    """A channel address that leads to one member (the creator's own id is `members.external_id`)."""

    web_visitor = "web_visitor"
    telegram_chat = "telegram_chat"
    whatsapp_wa_id = "whatsapp_wa_id"
    whatsapp_bsuid = "whatsapp_bsuid"


class DeliveryStatus(StrEnum):
    queued = "queued"
    sent = "sent"
    delivered = "delivered"
    read = "read"
    failed = "failed"


class Rating(StrEnum):
    up = "up"
    down = "down"
