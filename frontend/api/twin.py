"""The twin: persona versions and synthesis, chat turns (streamed over the WebSocket, or one REST call) and
conversations."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import msgspec
import websockets

from frontend.api.contracts import (
    ChatIn,
    ChatOut,
    ConversationOut,
    PersonaIn,
    PersonaOut,
    PersonaState,
    WeakReply,
)
from frontend.api.transport import ApiError, send, ws_url

BASE = "/api/v1/twin"


async def persona(token: str) -> PersonaState:
    return await send("GET", f"{BASE}/persona", token, into=PersonaState)


async def persona_version(token: str, version: int) -> PersonaOut:
    return await send("GET", f"{BASE}/persona/versions/{version}", token, into=PersonaOut)


async def save_persona(token: str, body: PersonaIn) -> PersonaOut:
    return await send("PUT", f"{BASE}/persona", token, body=body, into=PersonaOut)


async def approve_persona(token: str, version: int) -> PersonaOut:
    return await send("POST", f"{BASE}/persona/versions/{version}/approve", token, into=PersonaOut)


async def synthesize_persona(token: str) -> dict[str, Any]:
    return await send("POST", f"{BASE}/persona/synthesize", token, wait=300, into=dict[str, Any])


async def chat(token: str, message: str, conversation_id: str | None = None) -> ChatOut:
    body = ChatIn(message=message, conversation_id=uuid.UUID(conversation_id) if conversation_id else None)
    return await send("POST", "/api/v1/chat", token, body=body, wait=180, into=ChatOut)


async def stream_chat(
    token: str, text: str, conversation_id: str | None, on_token: Callable[[str], Awaitable[None]]
) -> ChatOut | None:
    """One turn over `/ws/chat`, each streamed piece of the reply handed to `on_token` as it arrives.

    None when streaming is unavailable (no socket, or the token needs refreshing): then call `chat`, whose REST
    path refreshes the token and retries."""
    frame: dict[str, Any] = {"type": "message", "text": text}
    if conversation_id:
        frame["conversation_id"] = conversation_id
    try:
        async with websockets.connect(ws_url("/ws/chat", token), open_timeout=5, max_size=2**22) as ws:
            await ws.send(msgspec.json.encode(frame).decode())
            async with asyncio.timeout(180):
                async for raw in ws:
                    msg = msgspec.json.decode(raw)
                    kind = msg.get("type") if isinstance(msg, dict) else None
                    if kind == "token":
                        await on_token(str(msg["text"]))
                    elif kind == "reply":
                        return decode_reply(msg)
                    elif kind == "error":
                        if msg.get("error") in {"not_authenticated", "token_expired"}:
                            return None
                        raise ApiError(400, str(msg.get("error")), str(msg.get("detail") or "Chat failed"))
    except (OSError, TimeoutError, websockets.exceptions.WebSocketException, msgspec.DecodeError):
        return None
    return None


def decode_reply(frame: dict[str, Any]) -> ChatOut:
    """The socket's `reply` frame is a ChatOut with the frame's own keys beside it."""
    try:
        return msgspec.convert(frame, ChatOut)
    except msgspec.ValidationError as exc:
        raise ApiError(502, "unexpected_answer", f"The chat answered in an unexpected shape ({exc}).") from exc


async def conversations(
    token: str,
    flagged: bool | None = None,
    kind: str | None = None,
    low_consistency: float | None = None,
    handoff: bool | None = None,
    taken_over: bool | None = None,
) -> list[ConversationOut]:
    params: dict[str, Any] = {}
    for name, flag in (("flagged", flagged), ("handoff", handoff), ("taken_over", taken_over)):
        if flag is not None:
            params[name] = "true" if flag else "false"
    if kind:
        params["kind"] = kind
    if low_consistency is not None:
        params["low_consistency"] = low_consistency
    return await send("GET", "/api/v1/conversations", token, params=params or None, into=list[ConversationOut])


async def weakest(token: str, limit: int = 50) -> list[WeakReply]:
    """The replies that sound least like the creator, weakest first."""
    return await send("GET", f"{BASE}/consistency/weakest", token, params={"limit": limit}, into=list[WeakReply])


async def conversation(token: str, conversation_id: str) -> ConversationOut:
    return await send("GET", f"/api/v1/conversations/{conversation_id}", token, into=ConversationOut)
