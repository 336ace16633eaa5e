"""WhatsApp Cloud API webhooks: the subscription handshake, the signature check, and the payload decoded.

Every POST is signed: `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body with the app secret>`.
Check it on the raw bytes before parsing anything. A payload is
`{"object": "whatsapp_business_account", "entry": [{"changes": [{"field": "messages", "value": {...}}]}]}`
where a value holds `metadata.phone_number_id`, `contacts[]`, inbound `messages[]` and our messages' `statuses[]`
(which may arrive out of order: sent after delivered, read before delivered).
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field
from enum import StrEnum

import msgspec


def signature_valid(app_secret: str, raw_body: bytes, header: str | None) -> bool:
    """Constant-time check of `X-Hub-Signature-256` against the raw body."""
    if not header or not app_secret or not header.startswith("sha256="):
        return False
    expected = hmac.new(app_secret.encode(), raw_body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, header[len("sha256=") :].strip().lower())


def sign(app_secret: str, raw_body: bytes) -> str:
    """The header value Meta sends (used by fakes and tests)."""
    return "sha256=" + hmac.new(app_secret.encode(), raw_body, hashlib.sha256).hexdigest()


def subscription_challenge(params: dict[str, str], verify_token: str) -> str | None:
    """The GET handshake: echo `hub.challenge` when mode and token match, else None (answer 403)."""
    if params.get("hub.mode") != "subscribe" or not verify_token:
        return None
    if not hmac.compare_digest(params.get("hub.verify_token", "").encode(), verify_token.encode()):
        return None
    challenge = params.get("hub.challenge", "")
    return challenge if challenge and len(challenge) <= 256 else None


# --- the payload ---------------------------------------------------------------------------------------
class _Text(msgspec.Struct, frozen=True):
    body: str = ""


class _Reply(msgspec.Struct, frozen=True):
    id: str = ""
    title: str = ""


class _Interactive(msgspec.Struct, frozen=True):
    type: str = ""
    button_reply: _Reply | None = None
    list_reply: _Reply | None = None


class _Button(msgspec.Struct, frozen=True):  # a template's quick-reply button
    payload: str = ""
    text: str = ""


class _Message(msgspec.Struct, frozen=True):
    id: str
    timestamp: str = "0"
    type: str = "text"
    sender: str = msgspec.field(default="", name="from")  # the wa_id (phone); may be absent for username users
    from_user_id: str | None = None  # business-scoped user id (BSUID)
    text: _Text | None = None
    interactive: _Interactive | None = None
    button: _Button | None = None


class _Profile(msgspec.Struct, frozen=True):
    name: str = ""


class _Contact(msgspec.Struct, frozen=True):
    wa_id: str = ""
    user_id: str | None = None
    profile: _Profile | None = None


class _ErrorData(msgspec.Struct, frozen=True):
    details: str = ""


class _Error(msgspec.Struct, frozen=True):
    code: int = 0
    title: str = ""
    message: str = ""
    error_data: _ErrorData | None = None


class _Status(msgspec.Struct, frozen=True):
    id: str
    status: str
    timestamp: str = "0"
    recipient_id: str = ""
    biz_opaque_callback_data: str | None = None
    errors: list[_Error] = []


class _Metadata(msgspec.Struct, frozen=True):
    phone_number_id: str = ""
    display_phone_number: str = ""


class _Value(msgspec.Struct, frozen=True):
    metadata: _Metadata | None = None
    contacts: list[_Contact] = []
    messages: list[_Message] = []
    statuses: list[_Status] = []


class _Change(msgspec.Struct, frozen=True):
    field: str = ""
    value: _Value | None = None


class _Entry(msgspec.Struct, frozen=True):
    id: str = ""
    changes: list[_Change] = []


class _Payload(msgspec.Struct, frozen=True):
    object: str = ""
    entry: list[_Entry] = []


_DECODER = msgspec.json.Decoder(_Payload)


class PayloadError(ValueError):
    """The body is not a WhatsApp webhook payload."""


class Delivery(StrEnum):
    SENT = "sent"
    DELIVERED = "delivered"
    READ = "read"
    FAILED = "failed"


# A status never moves backwards: a late "sent" after "read" changes nothing.
DELIVERY_RANK = {Delivery.SENT: 1, Delivery.DELIVERED: 2, Delivery.READ: 3, Delivery.FAILED: 4}


@dataclass(frozen=True)
class InboundMessage:
    id: str  # wamid: duplicates are dropped by it
    phone_number_id: str
    wa_id: str
    user_id: str | None  # BSUID, when WhatsApp sends one
    name: str
    timestamp: int
    text: str  # the text, or the pressed answer's title
    answer_id: str | None = None  # the id of a pressed reply button / list row
    kind: str = "text"


@dataclass(frozen=True)
class StatusUpdate:
    message_id: str  # the wamid our send was answered with
    phone_number_id: str
    status: Delivery
    timestamp: int
    recipient_id: str
    callback_data: str | None
    error_code: int = 0
    error_title: str = ""


@dataclass
class Batch:
    messages: list[InboundMessage] = field(default_factory=list)
    statuses: list[StatusUpdate] = field(default_factory=list)


def _int(value: str) -> int:
    return int(value) if value.isdigit() else 0


def decode(raw: bytes) -> Batch:
    """Decode a verified body into inbound messages and status updates; unknown kinds are skipped."""
    try:
        payload = _DECODER.decode(raw)
    except msgspec.DecodeError as exc:
        raise PayloadError(str(exc)[:200]) from None
    if payload.object != "whatsapp_business_account":
        raise PayloadError("not a whatsapp_business_account payload")
    batch = Batch()
    for entry in payload.entry:
        for change in entry.changes:
            value = change.value
            if change.field != "messages" or value is None:
                continue
            phone = value.metadata.phone_number_id if value.metadata else ""
            names = {c.wa_id: c for c in value.contacts}
            for m in value.messages:
                if (message := _inbound(m, phone, names)) is not None:
                    batch.messages.append(message)
            for s in value.statuses:
                if s.status not in Delivery.__members__.values():
                    continue
                err = s.errors[0] if s.errors else None
                batch.statuses.append(
                    StatusUpdate(
                        message_id=s.id,
                        phone_number_id=phone,
                        status=Delivery(s.status),
                        timestamp=_int(s.timestamp),
                        recipient_id=s.recipient_id,
                        callback_data=s.biz_opaque_callback_data,
                        error_code=err.code if err else 0,
                        error_title=(err.title or err.message)[:200] if err else "",
                    )
                )
    return batch


def _inbound(m: _Message, phone: str, contacts: dict[str, _Contact]) -> InboundMessage | None:
    """A text or an answer (reply button, list row, template button); media and the rest are skipped."""
    if m.type == "text" and m.text is not None:
        text, answer_id, kind = m.text.body, None, "text"
    elif m.type == "interactive" and m.interactive is not None:
        reply = m.interactive.button_reply or m.interactive.list_reply
        if reply is None:
            return None
        text, answer_id, kind = reply.title, reply.id, "answer"
    elif m.type == "button" and m.button is not None:
        text, answer_id, kind = m.button.text, m.button.payload, "answer"
    else:
        return None
    contact = contacts.get(m.sender) or next(iter(contacts.values()), None)
    wa_id = m.sender or (contact.wa_id if contact else "")
    user_id = m.from_user_id or (contact.user_id if contact else None)
    if not wa_id and not user_id:
        return None
    return InboundMessage(
        id=m.id,
        phone_number_id=phone,
        wa_id=wa_id,
        user_id=user_id,
        name=contact.profile.name if contact and contact.profile else "",
        timestamp=_int(m.timestamp),
        text=text,
        answer_id=answer_id,
        kind=kind,
    )
