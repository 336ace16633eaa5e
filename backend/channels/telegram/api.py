"""Telegram's Bot API over HTTP (https://core.telegram.org/bots/api): the calls we make and the errors that matter.

Plain httpx with the documented wire format: every method is `POST {api_base}/bot{token}/{method}` with a JSON
body, answered `{"ok": true, "result": ...}` or `{"ok": false, "error_code", "description", "parameters"}`.
The base URL is a setting, so tests point it at a fake server on loopback. The token is part of every URL:
nothing here logs a URL or puts the token in an exception.
"""

from __future__ import annotations

import hmac
import re
from dataclasses import dataclass
from typing import Any

import httpx

DEFAULT_API_BASE = "https://api.telegram.org"
MESSAGE_LIMIT = 4096  # characters of one sendMessage text
# The updates we act on; the rest are never sent to us (setWebhook's allowed_updates).
ALLOWED_UPDATES = ("message", "callback_query", "my_chat_member")
_SECRET = re.compile(r"^[A-Za-z0-9_-]{1,256}$")  # what setWebhook accepts as secret_token


class TelegramError(Exception):
    """An answer with `ok: false`, or no answer at all."""

    def __init__(self, code: int, description: str) -> None:
        super().__init__(f"telegram {code}: {description}")
        self.code = code
        self.description = description


class TelegramUnauthorized(TelegramError):
    """401: the bot token is wrong or was revoked in @BotFather."""


class TelegramBlocked(TelegramError):
    """403: the user blocked the bot (or the chat is gone): the member opted out of Telegram."""


class TelegramRetryAfter(TelegramError):
    """429 flood control: try again after `retry_after` seconds."""

    def __init__(self, code: int, description: str, retry_after: float) -> None:
        super().__init__(code, description)
        self.retry_after = retry_after


class TelegramUnreachable(TelegramError):
    """No HTTP answer (connection refused, timeout): worth a retry later."""


@dataclass(frozen=True)
class BotInfo:
    id: int
    username: str
    first_name: str


def valid_secret(secret: str) -> bool:
    return bool(_SECRET.match(secret))


def secret_matches(expected: str, received: str | None) -> bool:
    """The webhook's `X-Telegram-Bot-Api-Secret-Token` check, in constant time."""
    if not received or not expected:
        return False
    return hmac.compare_digest(expected.encode(), received.encode())


def inline_keyboard(options: list[tuple[str, str]], per_row: int = 5) -> dict[str, Any]:
    """Answer buttons (label, callback data) for a check-in; data must fit Telegram's 64 bytes."""
    buttons = [{"text": label, "callback_data": data} for label, data in options]
    for b in buttons:
        if len(b["callback_data"].encode()) > 64:
            raise ValueError("callback data is limited to 64 bytes")
    return {"inline_keyboard": [buttons[i : i + per_row] for i in range(0, len(buttons), per_row)]}


def split_message(text: str, limit: int = MESSAGE_LIMIT) -> list[str]:
    """Cut a long reply into messages Telegram accepts, at the last paragraph, line, sentence or word break."""
    parts: list[str] = []
    rest = text.strip()
    while len(rest) > limit:
        window = rest[:limit]
        cut = -1
        for sep in ("\n\n", "\n", ". ", "! ", "? ", " "):
            at = window.rfind(sep)
            if at > limit // 2:
                cut = at + len(sep.rstrip(" ")) if sep.strip() else at
                break
        if cut <= 0:
            cut = limit  # one unbroken run of text: cut it where the limit falls
        parts.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest:
        parts.append(rest)
    return parts


class TelegramBot:
    """One bot's API. Share an `httpx.AsyncClient` between bots of a process (pass `http`); close it yourself."""

    def __init__(
        self,
        token: str,
        *,
        api_base: str = DEFAULT_API_BASE,
        http: httpx.AsyncClient | None = None,
        timeout: float = 15.0,
    ) -> None:
        self._url = f"{api_base.rstrip('/')}/bot{token}/"
        self._http = http or httpx.AsyncClient(timeout=timeout)
        self._own_http = http is None

    async def aclose(self) -> None:
        if self._own_http:
            await self._http.aclose()

    async def call(self, method: str, payload: dict[str, Any] | None = None) -> Any:
        try:
            response = await self._http.post(self._url + method, json=payload or {})
        except httpx.TransportError as exc:  # the message names the error kind, never the URL (it holds the token)
            raise TelegramUnreachable(0, f"{method}: {type(exc).__name__}") from None
        try:
            body = response.json()
        except ValueError:
            raise TelegramError(response.status_code, f"{method}: answer is not JSON") from None
        if isinstance(body, dict) and body.get("ok") is True:
            return body.get("result")
        return self._raise(method, response.status_code, body if isinstance(body, dict) else {})

    @staticmethod
    def _raise(method: str, status: int, body: dict[str, Any]) -> Any:
        code = int(body.get("error_code") or status)
        description = str(body.get("description") or f"{method} failed")[:300]
        raw_params = body.get("parameters")
        params: dict[str, Any] = raw_params if isinstance(raw_params, dict) else {}
        if code == 429:
            raise TelegramRetryAfter(code, description, float(params.get("retry_after") or 1))
        if code == 401 or (code == 404 and method == "getMe"):  # an unknown token answers 404 on some servers
            raise TelegramUnauthorized(code, description)
        if code == 403:
            raise TelegramBlocked(code, description)
        raise TelegramError(code, description)

    async def get_me(self) -> BotInfo:
        me = await self.call("getMe")
        return BotInfo(id=int(me["id"]), username=str(me.get("username") or ""), first_name=str(me.get("first_name")))

    async def set_webhook(self, url: str, secret_token: str, *, drop_pending_updates: bool = False) -> None:
        if not valid_secret(secret_token):
            raise ValueError("a webhook secret is 1-256 characters of A-Z, a-z, 0-9, _ and -")
        await self.call(
            "setWebhook",
            {
                "url": url,
                "secret_token": secret_token,
                "allowed_updates": list(ALLOWED_UPDATES),
                "drop_pending_updates": drop_pending_updates,
            },
        )

    async def delete_webhook(self) -> None:
        await self.call("deleteWebhook", {"drop_pending_updates": False})

    async def webhook_info(self) -> dict[str, Any]:
        info = await self.call("getWebhookInfo")
        return info if isinstance(info, dict) else {}

    async def send_message(self, chat_id: int | str, text: str, *, reply_markup: dict[str, Any] | None = None) -> int:
        """Send one message (at most `MESSAGE_LIMIT` characters; see `split_message`); returns its message id."""
        payload: dict[str, Any] = {"chat_id": chat_id, "text": text, "link_preview_options": {"is_disabled": True}}
        if reply_markup is not None:
            payload["reply_markup"] = reply_markup
        sent = await self.call("sendMessage", payload)
        return int(sent["message_id"])

    async def answer_callback_query(self, callback_query_id: str, text: str | None = None) -> None:
        payload: dict[str, Any] = {"callback_query_id": callback_query_id}
        if text:
            payload["text"] = text[:200]
        await self.call("answerCallbackQuery", payload)
