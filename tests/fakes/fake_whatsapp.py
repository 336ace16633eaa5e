"""A fake WhatsApp Cloud API (Graph API) on loopback that speaks the real wire format.

Serves `POST /{version}/{phone_number_id}/messages` with Bearer auth (text, template, interactive, read
receipts), answering a `wamid` or a Graph error object, and plays Meta's side of the webhook: signed POSTs
(`X-Hub-Signature-256`) of inbound messages and of `statuses[]` for what we sent, in any order.
The 24-hour window is simulated from the inbound messages the fake delivered (`clock` can be moved): free text
outside it fails with 131047, synchronously or (as Meta usually does) in a later `failed` status.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections import defaultdict, deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from backend.channels.whatsapp.webhooks import sign
from tests.fakes.loopback import LoopbackServer, Request

Post = Callable[..., Awaitable[Any]]
WINDOW_SECONDS = 24 * 3600


@dataclass
class SentWa:
    wamid: str
    to: str
    type: str
    payload: dict[str, Any]
    at: float  # time.monotonic() when accepted
    callback_data: str | None = None

    @property
    def text(self) -> str:
        if self.type == "text":
            return str(self.payload["text"]["body"])
        if self.type == "interactive":
            return str(self.payload["interactive"]["body"]["text"])
        if self.type == "template":
            comps = self.payload["template"].get("components") or []
            return " ".join(p["text"] for c in comps for p in c.get("parameters", []))
        return ""


@dataclass
class FakeWhatsApp(LoopbackServer):
    phone_number_id: str = "109876543210"
    access_token: str = "EAAG-test-access-token"
    app_secret: str = "test-app-secret"
    api_version: str = "v21.0"
    window_errors: Literal["async", "sync"] = "async"
    enforce_limits: bool = False
    per_number_per_second: int = 80
    sent: list[SentWa] = field(default_factory=list)
    read_receipts: list[str] = field(default_factory=list)
    templates: set[str] = field(default_factory=lambda: {"checkin_reminder"})
    rate_limit_next: int = 0  # the next N sends answer 130429
    throttled: int = 0
    clock: Callable[[], float] = time.time  # wall time the window is judged by; tests move it

    def __post_init__(self) -> None:
        LoopbackServer.__init__(self)
        self.last_inbound: dict[str, float] = {}  # wa_id -> when the member last wrote
        self.pending: list[dict[str, Any]] = []  # statuses waiting for `deliver_statuses`
        self._window: deque[float] = deque()
        self._ids = itertools.count(1)
        self._per_recipient: dict[str, list[float]] = defaultdict(list)

    def wamid(self) -> str:
        return f"wamid.FAKE{next(self._ids):012d}"

    # --- the Graph API -----------------------------------------------------------------------------------
    async def route(self, request: Request, writer: asyncio.StreamWriter) -> None:
        expected = f"/{self.api_version}/{self.phone_number_id}/messages"
        if request.path != expected or request.method != "POST":
            await self.answer(writer, 400, _error(100, "Unsupported post request", "unknown path or object id"))
            return
        if request.headers.get("authorization") != f"Bearer {self.access_token}":
            await self.answer(writer, 401, _error(190, "Invalid OAuth access token - Cannot parse access token"))
            return
        body = request.body if isinstance(request.body, dict) else {}
        status, answer = self._send(body)
        await self.answer(writer, status, answer)

    def _send(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        if body.get("messaging_product") != "whatsapp":
            return 400, _error(100, "Invalid parameter", "messaging_product must be whatsapp")
        if body.get("status") == "read":
            self.read_receipts.append(str(body.get("message_id")))
            return 200, {"success": True}
        to, kind = str(body.get("to") or ""), body.get("type")
        if not to or kind not in ("text", "template", "interactive") or not isinstance(body.get(kind), dict):
            return 400, _error(100, "Invalid parameter", "to and a supported type are required")
        if kind == "template" and body["template"].get("name") not in self.templates:
            return 400, _error(132001, "Template name does not exist in the translation")
        if self.rate_limit_next > 0 or (self.enforce_limits and not self._admit()):
            self.rate_limit_next = max(0, self.rate_limit_next - 1)
            self.throttled += 1
            return 429, _error(130429, "Rate limit hit", "Cloud API message throughput has been reached.")
        outside = self.clock() - self.last_inbound.get(to, float("-inf")) > WINDOW_SECONDS
        if kind != "template" and outside and self.window_errors == "sync":
            return 400, _error(131047, "Re-engagement message", _WINDOW_DETAILS)
        message = SentWa(self.wamid(), to, kind, body, time.monotonic(), body.get("biz_opaque_callback_data"))
        self.sent.append(message)
        self._per_recipient[to].append(message.at)
        if kind != "template" and outside:
            self.pending.append(self.status(message, "failed", error=(131047, "Re-engagement message")))
        else:
            self.pending.extend(self.status(message, s) for s in ("sent", "delivered"))
        contact = {"input": to, "wa_id": to}
        return 200, {"messaging_product": "whatsapp", "contacts": [contact], "messages": [{"id": message.wamid}]}

    def _admit(self) -> bool:
        now = time.monotonic()
        while self._window and now - self._window[0] >= 1.0:
            self._window.popleft()
        if len(self._window) >= self.per_number_per_second:
            return False
        self._window.append(now)
        return True

    # --- Meta's side of the webhook ----------------------------------------------------------------------
    def _envelope(self, value: dict[str, Any]) -> dict[str, Any]:
        metadata = {"display_phone_number": "15550001111", "phone_number_id": self.phone_number_id}
        change = {"field": "messages", "value": {"messaging_product": "whatsapp", "metadata": metadata, **value}}
        return {"object": "whatsapp_business_account", "entry": [{"id": "WABA-1", "changes": [change]}]}

    def inbound(self, wa_id: str, text: str, *, name: str = "Ada", user_id: str | None = None) -> dict[str, Any]:
        """A member's text message; it opens (or renews) their 24-hour window."""
        return self._inbound(wa_id, name, user_id, {"type": "text", "text": {"body": text}})

    def answer_press(self, wa_id: str, answer_id: str, title: str, *, name: str = "Ada") -> dict[str, Any]:
        """A member pressed a reply button of an interactive message."""
        reply = {"type": "button_reply", "button_reply": {"id": answer_id, "title": title}}
        return self._inbound(wa_id, name, None, {"type": "interactive", "interactive": reply})

    def _inbound(self, wa_id: str, name: str, user_id: str | None, content: dict[str, Any]) -> dict[str, Any]:
        contact: dict[str, Any] = {"profile": {"name": name}, "wa_id": wa_id}
        message = {"from": wa_id, "id": self.wamid(), "timestamp": str(int(self.clock())), **content}
        if user_id:
            contact["user_id"] = user_id
            message["from_user_id"] = user_id
        self.last_inbound[wa_id] = self.clock()
        return self._envelope({"contacts": [contact], "messages": [message]})

    def status(self, message: SentWa, status: str, *, error: tuple[int, str] | None = None) -> dict[str, Any]:
        entry: dict[str, Any] = {
            "id": message.wamid,
            "status": status,
            "timestamp": str(int(self.clock())),
            "recipient_id": message.to,
        }
        if message.callback_data:
            entry["biz_opaque_callback_data"] = message.callback_data
        if error:
            details = {"details": _WINDOW_DETAILS if error[0] == 131047 else error[1]}
            entry["errors"] = [{"code": error[0], "title": error[1], "message": error[1], "error_data": details}]
        return self._envelope({"statuses": [entry]})

    def signed(self, payload: dict[str, Any], *, secret: str | None = None) -> tuple[bytes, dict[str, str]]:
        raw = json.dumps(payload).encode()
        headers = {"Content-Type": "application/json", "X-Hub-Signature-256": sign(secret or self.app_secret, raw)}
        return raw, headers

    async def deliver(self, post: Post, path: str, payload: dict[str, Any], *, secret: str | None = None) -> Any:
        """POST a signed webhook, as Meta does (`secret` signs with another key, to test refusal)."""
        raw, headers = self.signed(payload, secret=secret)
        return await post(path, content=raw, headers=headers)

    async def deliver_statuses(self, post: Post, path: str, *, reverse: bool = False) -> list[Any]:
        """Send every pending status webhook (`reverse`: out of order, as Meta sometimes does)."""
        pending, self.pending = self.pending, []
        return [await self.deliver(post, path, p) for p in (reversed(pending) if reverse else pending)]

    def to(self, wa_id: str) -> list[SentWa]:
        return [m for m in self.sent if m.to == wa_id]


_WINDOW_DETAILS = "Message failed to send because more than 24 hours have passed since the customer last replied."


def _error(code: int, message: str, details: str = "") -> dict[str, Any]:
    err: dict[str, Any] = {"message": f"(#{code}) {message}", "type": "OAuthException", "code": code}
    if details:
        err["error_data"] = {"messaging_product": "whatsapp", "details": details}
    err["fbtrace_id"] = "AbCdEfFakeTrace"
    return {"error": err}
