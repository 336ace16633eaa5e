"""WebSocket chat: `/ws/chat?token=...`.

Frames (JSON): the client sends `{"type": "message", "text", "conversation_id"?, "client_id"?}`; the server
answers `ack` (received), `typing`, a stream of `token` frames (the first text as soon as there is one, then
what arrived in each 30 ms after it), then `reply` with the REST fields (`consistency` null: the reply is
scored after it is sent). A client
that reconnects sends `{"type": "history", "conversation_id", "after"?}` to fetch what it missed, and may
resend a message with the same `client_id`: it gets the stored reply, never a second answer.
A member's socket also receives what the platform sends on its own, pushed from any worker through Redis
(backend/delivery/live.py): `{"type": "message", "id", "role", "text", "created_at", ...}` (the shape of
`GET /api/v1/me/messages`), and `{"type": "takeover", "active", "by"}` when a creator takes over or hands
back. While a creator holds the conversation a member's message is answered with `held` (no twin reply).
Close codes: 4401 bad, expired or revoked token (a revocation closes the socket within a second, on any
worker), 4403 a page of an origin that is not allowed (a member's: the workspace's widget sites; staff's:
CORS_ORIGINS), 1009 frame too large, 1008 too many bad frames.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
import uuid
from datetime import UTC, datetime
from typing import Any

import structlog
from litestar import WebSocket, websocket
from litestar.exceptions import WebSocketDisconnect

from backend.channels.origins import origin_allowed
from backend.channels.service import own_origins
from backend.channels.service import rules as channel_rules
from backend.delivery.frames import MemberMessage, message_frame
from backend.delivery.live import LiveConnection, publish
from backend.lib import jsonin
from backend.lib.edge import EXCLUDE_FROM_AUTH
from backend.lib.errors import DomainError
from backend.lib.live_sessions import Watched
from backend.lib.origins import socket_origin_allowed
from backend.lib.platform import Platform
from backend.lib.principal import Principal, authenticate
from backend.twin import repository
from backend.twin.chat import TurnResult, check_rate, run_turn
from common.enums import Channel, MessageSender, PrincipalKind

log = structlog.get_logger()
MAX_FRAME = 16 * 1024
MAX_BAD_FRAMES = 5
TOKEN_FLUSH_S = 0.03


async def _send(socket: WebSocket[Any, Any, Any], payload: dict[str, Any]) -> None:
    await socket.send_text(json.dumps(payload, default=str))


def _error(code: str, detail: str, **extra: Any) -> dict[str, Any]:
    return {"type": "error", "error": code, "detail": detail, **extra}


def _parse(raw: str) -> dict[str, Any]:
    frame = jsonin.loads(raw)  # depth and NUL checked, like request bodies
    if not isinstance(frame, dict) or not isinstance(frame.get("type"), str):
        raise ValueError("a frame is a JSON object with a string 'type'")
    return frame


def _uuid(value: Any) -> uuid.UUID | None:
    return uuid.UUID(str(value)) if value else None


class _TokenFrames:
    """`token` frames: the first text at once (time to first token), then at most one frame per TOKEN_FLUSH_S
    with what arrived meanwhile. A frame per word cost a busy worker more CPU than the rest of the turn."""

    def __init__(self, socket: WebSocket[Any, Any, Any], client_id: Any) -> None:
        self._socket, self._client_id = socket, client_id
        self._parts: list[str] = []
        self._sent_at: float | None = None
        self._later: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()  # frames leave in order

    async def add(self, delta: str) -> None:
        self._parts.append(delta)
        if self._sent_at is None or time.monotonic() - self._sent_at >= TOKEN_FLUSH_S:
            await self._flush()
        elif self._later is None:
            self._later = asyncio.create_task(self._flush_later())

    async def _flush_later(self) -> None:
        await asyncio.sleep(TOKEN_FLUSH_S)
        self._later = None
        with contextlib.suppress(Exception):  # a closed socket: the turn's next send or `close` reports it
            await self._flush()

    async def _flush(self) -> None:
        async with self._lock:
            if not self._parts:
                return
            text, self._parts = "".join(self._parts), []
            self._sent_at = time.monotonic()
            await _send(self._socket, {"type": "token", "text": text, "client_id": self._client_id})

    async def close(self) -> None:
        """Send what is left (before the `reply` frame)."""
        if self._later is not None:
            self._later.cancel()
            self._later = None
        await self._flush()


async def _history(platform: Platform, principal: Principal, frame: dict[str, Any]) -> dict[str, Any]:
    conv_id = _uuid(frame.get("conversation_id"))
    after = _uuid(frame.get("after"))
    async with platform.db.session(principal.tenant) as db:
        conv = await repository.owned(db, principal, conv_id)
        if conv is None:
            return _error("not_found", "Conversation not found")
        messages = await repository.messages(db, conv.id, after)
    return {
        "type": "history",
        "conversation_id": str(conv.id),
        "messages": [
            {
                "id": str(m.id),
                "role": m.role,
                "content": m.content,
                "mode": m.mode,
                "grounded": m.grounded,
                "citations": m.citations,
                "created_at": m.created_at.isoformat(),
            }
            for m in messages
        ],
    }


async def _echo(
    platform: Platform, principal: Principal, result: TurnResult, text: str, client_id: Any, skip: str
) -> None:
    """The member's other open chats (a second tab, the companion page) show this turn too."""
    now = datetime.now(UTC)
    shown = [
        MemberMessage(
            id=result.user_message_id, role=MessageSender.member.value, text=text, created_at=now,
            conversation_id=result.conversation_id, channel=Channel.web.value,
            client_id=client_id if isinstance(client_id, str) else None,
        )
    ]  # fmt: skip
    if not result.extra.get("held"):
        shown.append(
            MemberMessage(
                id=result.message_id, role=MessageSender.program.value if result.mode == "program" else
                MessageSender.twin.value, text=result.reply, created_at=now, conversation_id=result.conversation_id,
                channel=Channel.web.value, mode=result.mode, grounded=result.grounded, citations=result.citations,
                safety=result.safety,
            )
        )  # fmt: skip
    for message in shown:
        await publish(platform.redis, principal.creator_id, principal.subject_id, message_frame(message), skip=skip)


async def _turn(
    socket: WebSocket[Any, Any, Any],
    platform: Platform,
    principal: Principal,
    frame: dict[str, Any],
    live: LiveConnection | None = None,
) -> None:
    text = frame.get("text")
    client_id = frame.get("client_id")
    if not isinstance(text, str) or not text.strip() or len(text) > 4000:
        await _send(socket, _error("invalid_input", "text: 1 to 4000 characters", client_id=client_id))
        return
    if client_id is not None and (not isinstance(client_id, str) or len(client_id) > 64):
        await _send(socket, _error("invalid_input", "client_id: a string of at most 64 characters"))
        return
    await check_rate(platform, principal)
    await _send(socket, {"type": "ack", "client_id": client_id})
    await _send(socket, {"type": "typing"})
    tokens = _TokenFrames(socket, client_id)
    try:
        result = await run_turn(
            platform, principal, text.strip(), _uuid(frame.get("conversation_id")), client_id, tokens.add
        )
    finally:
        await tokens.close()
    if live is not None:
        await _echo(platform, principal, result, text.strip(), client_id, live.id)
    if result.extra.get("held"):
        # A creator holds the conversation: no twin reply; the creator's answer arrives as a `message` frame.
        await _send(
            socket,
            {
                "type": "held",
                "client_id": client_id,
                "user_message_id": str(result.user_message_id),
                "conversation_id": str(result.conversation_id),
            },
        )
        return
    await _send(
        socket,
        {"type": "reply", "client_id": client_id, "user_message_id": str(result.user_message_id), **result.public()},
    )


async def _origin_ok(platform: Platform, principal: Principal, origin: str | None) -> bool:
    """A browser page may open a socket only from an allowed origin: a member's, the workspace's widget sites;
    staff's, CORS_ORIGINS. A browser always sends `Origin` on the handshake; a client without one is not a web
    page (a server, an app) and holds its token like any API client."""
    if origin is None:
        return True
    if principal.kind is not PrincipalKind.member:
        return socket_origin_allowed(platform.settings, origin)
    rules = await channel_rules(platform, principal.creator_id)
    return origin_allowed(origin, rules.allowed_origins, own_origins(platform.settings))


def _watch(socket: WebSocket[Any, Any, Any], platform: Platform, principal: Principal, token: str) -> Watched:
    """Close this socket when its session is revoked (sign-out, removal, role change, ...) on any worker."""

    async def kick(reason: str) -> None:
        await _send(socket, _error("not_authenticated", reason))
        await socket.close(code=4401, reason="session revoked")

    async def still_valid() -> bool:
        return await _session_ended(platform, token, principal) is None

    issued_at = platform.tokens.verify(token, typ=("access", "member")).iat
    entry = Watched(principal.creator_id, principal.subject_id, principal.jti, issued_at, kick, still_valid)
    return platform.sessions.watch(entry)


async def _session_ended(platform: Platform, token: str, principal: Principal) -> str | None:
    """Why the socket's token no longer holds (expired or revoked), re-checked on every frame."""
    if principal.exp <= time.time():
        return "Token has expired"
    try:
        await authenticate(platform, token)
    except DomainError as exc:
        return exc.detail
    return None


@websocket("/ws/chat", opt={EXCLUDE_FROM_AUTH: True})  # authenticates itself (see backend/lib/edge.py)
async def chat_socket(socket: WebSocket[Any, Any, Any]) -> None:
    platform: Platform = socket.app.state.platform
    await socket.accept()
    token = socket.query_params.get("token", "")
    try:
        principal = await authenticate(platform, token)
    except DomainError as exc:
        await _send(socket, _error(exc.code, exc.detail))
        await socket.close(code=4401, reason=exc.detail[:100])
        return
    if not await _origin_ok(platform, principal, socket.headers.get("origin")):
        await _send(socket, _error("origin_not_allowed", "This site is not allowed to open the chat"))
        await socket.close(code=4403, reason="origin not allowed")
        return
    live: LiveConnection | None = None
    watched = _watch(socket, platform, principal, token)
    with contextlib.suppress(TimeoutError):  # subscribed before "ready" (if Redis answers; frames re-check anyway)
        await asyncio.wait_for(platform.sessions.ready(), 1.0)
    if principal.kind is PrincipalKind.member:
        # Messages the platform sends this member (programs, a creator's replies) arrive as `message` frames.
        live = LiveConnection(socket.send_text)
        await platform.services.live.attach(principal.creator_id, principal.subject_id, live)
    try:
        await _serve(socket, platform, principal, token, live)
    finally:
        platform.sessions.forget(watched)
        if live is not None:
            await platform.services.live.detach(principal.creator_id, principal.subject_id, live)


async def _serve(
    socket: WebSocket[Any, Any, Any], platform: Platform, principal: Principal, token: str, live: LiveConnection | None
) -> None:
    await _send(socket, {"type": "ready", "kind": principal.kind.value})
    bad = 0
    try:
        while True:
            raw = await socket.receive_text()
            ended = await _session_ended(platform, token, principal)
            if ended is not None:
                await _send(socket, _error("not_authenticated", ended))
                await socket.close(code=4401, reason="session ended")
                return
            if len(raw) > MAX_FRAME:
                await socket.close(code=1009, reason="frame too large")
                return
            try:
                frame = _parse(raw)
                kind = frame["type"]
                if kind == "message":
                    await _turn(socket, platform, principal, frame, live)
                elif kind == "history":
                    await _send(socket, await _history(platform, principal, frame))
                elif kind == "ping":
                    await _send(socket, {"type": "pong"})
                else:
                    raise ValueError(f"unknown frame type {kind!r}")
            except (ValueError, TypeError) as exc:
                bad += 1
                await _send(socket, _error("malformed_frame", str(exc)[:200]))
                if bad >= MAX_BAD_FRAMES:
                    await socket.close(code=1008, reason="too many malformed frames")
                    return
            except DomainError as exc:
                await _send(socket, _error(exc.code, exc.detail, client_id=frame.get("client_id")))
    except WebSocketDisconnect:
        return
