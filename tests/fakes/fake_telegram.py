"""A fake Telegram Bot API on loopback that speaks the real wire format, for driving our real HTTP client.

Serves `POST /bot{token}/{method}` (getMe, setWebhook, deleteWebhook, getWebhookInfo, sendMessage,
answerCallbackQuery) with `{"ok": ...}` answers, and plays Telegram's side of the webhook: `deliver` posts an
update to the URL our platform registered, with the `X-Telegram-Bot-Api-Secret-Token` it registered.
Failure modes: unknown tokens (401), blocked chats (403), flood control (429 with `retry_after`), and, with
`enforce_limits`, Telegram's own limits (30 messages/s per bot, 1/s per chat) answered with 429.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections import defaultdict, deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from tests.fakes.loopback import LoopbackServer, Request

Post = Callable[..., Awaitable[Any]]  # e.g. AsyncTestClient.post or httpx.AsyncClient.post


@dataclass
class Sent:
    token: str
    chat_id: int
    text: str
    reply_markup: dict[str, Any] | None
    message_id: int
    at: float  # time.monotonic() when the fake accepted it
    headers: dict[str, str]


class FakeTelegram(LoopbackServer):
    def __init__(
        self,
        bots: dict[str, str] | None = None,
        *,
        enforce_limits: bool = False,
        per_bot_per_second: int = 30,
        per_chat_per_second: int = 1,
    ) -> None:
        super().__init__()
        self.bots = dict(bots or {"123456:TEST-token": "coach_twin_bot"})  # token -> bot username
        self.webhooks: dict[str, tuple[str, str]] = {}  # token -> (url, secret_token)
        self.sent: list[Sent] = []
        self.blocked: set[int] = set()  # chats whose user blocked the bot: sendMessage answers 403
        self.flood_next = 0  # the next N sendMessage calls answer 429
        self.flood_retry_after = 1
        self.throttled = 0  # 429s answered
        self.enforce_limits = enforce_limits
        self.per_bot_per_second = per_bot_per_second
        self.per_chat_per_second = per_chat_per_second
        self._bot_window: dict[str, deque[float]] = defaultdict(deque)
        self._chat_window: dict[tuple[str, int], deque[float]] = defaultdict(deque)
        self._message_ids = itertools.count(1000)
        self._update_ids = itertools.count(500_000)

    @property
    def token(self) -> str:
        return next(iter(self.bots))

    # --- the Bot API ---------------------------------------------------------------------------------
    async def route(self, request: Request, writer: asyncio.StreamWriter) -> None:
        parts = request.path.strip("/").split("/")
        if len(parts) != 2 or not parts[0].startswith("bot"):
            await self.answer(writer, 404, {"ok": False, "error_code": 404, "description": "Not Found"})
            return
        token, method = parts[0][3:], parts[1]
        if token not in self.bots:
            await self.answer(writer, 401, {"ok": False, "error_code": 401, "description": "Unauthorized"})
            return
        body = request.body if isinstance(request.body, dict) else {}
        status, answer = self._call(token, method, body, request.headers)
        await self.answer(writer, status, answer)

    def _call(self, token: str, method: str, body: dict[str, Any], headers: dict[str, str]) -> tuple[int, Any]:
        if method == "getMe":
            me = {"id": int(token.split(":")[0]), "is_bot": True, "first_name": "Coach", "username": self.bots[token]}
            return 200, {"ok": True, "result": me}
        if method == "setWebhook":
            url, secret = str(body.get("url") or ""), str(body.get("secret_token") or "")
            if url and not url.startswith(("https://", "http://")):
                return 400, _error(400, "Bad Request: bad webhook: An HTTPS URL must be provided for webhook")
            self.webhooks[token] = (url, secret)
            return 200, {"ok": True, "result": True, "description": "Webhook was set"}
        if method == "deleteWebhook":
            self.webhooks.pop(token, None)
            return 200, {"ok": True, "result": True, "description": "Webhook was deleted"}
        if method == "getWebhookInfo":
            url = self.webhooks.get(token, ("", ""))[0]
            return 200, {"ok": True, "result": {"url": url, "has_custom_certificate": False, "pending_update_count": 0}}
        if method == "sendMessage":
            return self._send(token, body, headers)
        if method == "answerCallbackQuery":
            return 200, {"ok": True, "result": True}
        return 404, _error(404, "Not Found: method not found")

    def _send(self, token: str, body: dict[str, Any], headers: dict[str, str]) -> tuple[int, Any]:
        text = body.get("text")
        try:
            chat_id = int(body.get("chat_id"))  # type: ignore[arg-type]
        except (TypeError, ValueError):
            return 400, _error(400, "Bad Request: chat not found")
        if not isinstance(text, str) or not text.strip():
            return 400, _error(400, "Bad Request: message text is empty")
        if len(text) > 4096:
            return 400, _error(400, "Bad Request: message is too long")
        if chat_id in self.blocked:
            return 403, _error(403, "Forbidden: bot was blocked by the user")
        if self.flood_next > 0:
            self.flood_next -= 1
            return self._flood(self.flood_retry_after)
        now = time.monotonic()
        if self.enforce_limits and not self._admit(token, chat_id, now):
            return self._flood(1)
        sent = Sent(token, chat_id, text, body.get("reply_markup"), next(self._message_ids), now, dict(headers))
        self.sent.append(sent)
        result = {"message_id": sent.message_id, "date": int(time.time()), "chat": {"id": chat_id, "type": "private"}}
        return 200, {"ok": True, "result": {**result, "text": text}}

    def _flood(self, retry_after: int) -> tuple[int, Any]:
        self.throttled += 1
        description = f"Too Many Requests: retry after {retry_after}"
        return 429, {**_error(429, description), "parameters": {"retry_after": retry_after}}

    def _admit(self, token: str, chat_id: int, now: float) -> bool:
        bot, chat = self._bot_window[token], self._chat_window[(token, chat_id)]
        for window in (bot, chat):
            while window and now - window[0] >= 1.0:
                window.popleft()
        if len(bot) >= self.per_bot_per_second or len(chat) >= self.per_chat_per_second:
            return False
        bot.append(now)
        chat.append(now)
        return True

    # --- Telegram's side of the webhook ------------------------------------------------------------------
    def next_update_id(self) -> int:
        return next(self._update_ids)

    def text_update(self, chat_id: int, text: str, *, first_name: str = "Ada", update_id: int | None = None) -> dict:
        user = {"id": chat_id, "is_bot": False, "first_name": first_name, "language_code": "en"}
        message: dict[str, Any] = {
            "message_id": next(self._message_ids),
            "from": user,
            "chat": {"id": chat_id, "type": "private", "first_name": first_name},
            "date": int(time.time()),
            "text": text,
        }
        if text.startswith("/"):
            message["entities"] = [{"offset": 0, "length": len(text.split()[0]), "type": "bot_command"}]
        return {"update_id": update_id or self.next_update_id(), "message": message}

    def button_update(self, chat_id: int, data: str, *, message_id: int = 1) -> dict:
        user = {"id": chat_id, "is_bot": False, "first_name": "Ada"}
        message = {"message_id": message_id, "chat": {"id": chat_id, "type": "private"}, "date": int(time.time())}
        query = {
            "id": str(next(self._message_ids)),
            "from": user,
            "message": message,
            "data": data,
            "chat_instance": "1",
        }
        return {"update_id": self.next_update_id(), "callback_query": query}

    def member_update(self, chat_id: int, status: str) -> dict:
        """`my_chat_member`: the user blocked ('kicked') or restarted ('member') the bot."""
        user = {"id": chat_id, "is_bot": False, "first_name": "Ada"}
        bot = {"id": int(self.token.split(":")[0]), "is_bot": True, "first_name": "Coach"}
        change = {
            "chat": {"id": chat_id, "type": "private"},
            "from": user,
            "date": int(time.time()),
            "old_chat_member": {"user": bot, "status": "member" if status == "kicked" else "kicked"},
            "new_chat_member": {"user": bot, "status": status},
        }
        return {"update_id": self.next_update_id(), "my_chat_member": change}

    async def deliver(self, post: Post, update: dict, *, token: str | None = None, secret: str | None = None) -> Any:
        """POST `update` to the webhook registered for `token`, as Telegram does; `secret` overrides the header."""
        url, registered = self.webhooks[token or self.token]
        split = urlsplit(url)
        headers = {"X-Telegram-Bot-Api-Secret-Token": registered if secret is None else secret}
        return await post(split.path + (f"?{split.query}" if split.query else ""), json=update, headers=headers)

    def texts_to(self, chat_id: int) -> list[str]:
        return [s.text for s in self.sent if s.chat_id == chat_id]


def _error(code: int, description: str) -> dict[str, Any]:
    return {"ok": False, "error_code": code, "description": description}
