"""WhatsApp Cloud API (Meta's Graph API) over HTTP: sending messages and the errors that change what we do.

`POST {api_base}/{api_version}/{phone_number_id}/messages` with `Authorization: Bearer {access_token}`; an
accepted message answers its `wamid`, a refused one `{"error": {"code", "message", "error_data": {"details"}}}`.
Acceptance is not delivery: the fate of a message arrives later in `statuses[]` webhooks (see `webhooks.py`),
where `biz_opaque_callback_data` carries back what we attached (our outbox idempotency key).
"""

from __future__ import annotations

from typing import Any

import httpx

DEFAULT_API_BASE = "https://graph.facebook.com"
DEFAULT_API_VERSION = "v21.0"
TEXT_LIMIT = 4096  # characters of a text message body
BUTTON_TITLE_LIMIT = 20  # characters of a reply button's title
MAX_REPLY_BUTTONS = 3  # more options go in a list message
LIST_ROW_LIMIT = 10

# Error codes that change what the outbox does (https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes)
RE_ENGAGEMENT = 131047  # more than 24 h since the member last wrote: only a template may go out
RATE_LIMITED = (130429, 131056, 80007, 4)  # throughput, pair rate, account rate, app rate: back off
NOT_ON_WHATSAPP = 131026  # the number cannot receive messages
ACCESS_TOKEN = (190,)  # the access token expired or was revoked: the creator must reconnect


class WhatsAppError(Exception):
    def __init__(self, code: int, title: str, details: str = "", status: int = 0) -> None:
        super().__init__(f"whatsapp {code}: {title}" + (f" ({details})" if details else ""))
        self.code = code
        self.title = title
        self.details = details
        self.status = status

    @property
    def outside_window(self) -> bool:
        return self.code == RE_ENGAGEMENT

    @property
    def rate_limited(self) -> bool:
        return self.code in RATE_LIMITED or self.status == 429

    @property
    def retryable(self) -> bool:
        return self.rate_limited or self.status >= 500 or self.code in (0, 1, 2, 131000)


class WhatsAppUnreachable(WhatsAppError):
    """No HTTP answer (connection refused, timeout): worth a retry."""


def error_from(body: Any, status: int) -> WhatsAppError:
    err = body.get("error") if isinstance(body, dict) else None
    if not isinstance(err, dict):
        return WhatsAppError(0, f"HTTP {status} without an error object", status=status)
    raw_data = err.get("error_data")
    data: dict[str, Any] = raw_data if isinstance(raw_data, dict) else {}
    return WhatsAppError(
        int(err.get("code") or 0),
        str(err.get("title") or err.get("message") or "error")[:200],
        str(data.get("details") or "")[:300],
        status,
    )


class WhatsAppCloud:
    """One business phone number's sending API. Share an `httpx.AsyncClient` across numbers (pass `http`)."""

    def __init__(
        self,
        phone_number_id: str,
        access_token: str,
        *,
        api_base: str = DEFAULT_API_BASE,
        api_version: str = DEFAULT_API_VERSION,
        http: httpx.AsyncClient | None = None,
        timeout: float = 15.0,
    ) -> None:
        self._url = f"{api_base.rstrip('/')}/{api_version.strip('/')}/{phone_number_id}/messages"
        self._headers = {"Authorization": f"Bearer {access_token}"}
        self._http = http or httpx.AsyncClient(timeout=timeout)
        self._own_http = http is None

    async def aclose(self) -> None:
        if self._own_http:
            await self._http.aclose()

    async def _post(self, payload: dict[str, Any]) -> str:
        try:
            response = await self._http.post(self._url, json=payload, headers=self._headers)
        except httpx.TransportError as exc:
            raise WhatsAppUnreachable(0, type(exc).__name__) from None
        try:
            body = response.json()
        except ValueError:
            body = None
        if response.status_code == 200 and isinstance(body, dict) and body.get("messages"):
            return str(body["messages"][0]["id"])
        raise error_from(body, response.status_code)

    @staticmethod
    def _envelope(to: str, kind: str, content: dict[str, Any], callback_data: str | None) -> dict[str, Any]:
        payload: dict[str, Any] = {"messaging_product": "whatsapp", "recipient_type": "individual", "to": to}
        payload["type"] = kind
        payload[kind] = content
        if callback_data:
            payload["biz_opaque_callback_data"] = callback_data[:512]
        return payload

    async def send_text(self, to: str, body: str, *, callback_data: str | None = None) -> str:
        """Free-form text: only inside the 24-hour customer-service window. Returns the message's wamid."""
        return await self._post(self._envelope(to, "text", {"preview_url": False, "body": body}, callback_data))

    async def send_template(
        self, to: str, name: str, language: str, body_params: list[str], *, callback_data: str | None = None
    ) -> str:
        """An approved template: what may be sent outside the window."""
        template: dict[str, Any] = {"name": name, "language": {"code": language}}
        if body_params:
            params = [{"type": "text", "text": p} for p in body_params]
            template["components"] = [{"type": "body", "parameters": params}]
        return await self._post(self._envelope(to, "template", template, callback_data))

    async def send_choices(
        self, to: str, body: str, options: list[tuple[str, str]], *, callback_data: str | None = None
    ) -> str:
        """A question with answers (id, title): reply buttons up to three, a list message up to ten."""
        if not options or len(options) > LIST_ROW_LIMIT:
            raise ValueError("a question takes 1 to 10 answers")
        if len(options) <= MAX_REPLY_BUTTONS:
            buttons = [{"type": "reply", "reply": {"id": i, "title": t[:BUTTON_TITLE_LIMIT]}} for i, t in options]
            action: dict[str, Any] = {"buttons": buttons}
            content: dict[str, Any] = {"type": "button", "body": {"text": body}, "action": action}
        else:
            rows = [{"id": i, "title": t[:24]} for i, t in options]
            action = {"button": "Answer", "sections": [{"title": "Answers", "rows": rows}]}
            content = {"type": "list", "body": {"text": body}, "action": action}
        return await self._post(self._envelope(to, "interactive", content, callback_data))

    async def mark_read(self, message_id: str) -> None:
        payload = {"messaging_product": "whatsapp", "status": "read", "message_id": message_id}
        try:
            response = await self._http.post(self._url, json=payload, headers=self._headers)
        except httpx.TransportError as exc:
            raise WhatsAppUnreachable(0, type(exc).__name__) from None
        if response.status_code != 200:
            raise error_from(response.json() if response.content else None, response.status_code)
