"""WebSocket chat with a real client against a real server: streaming, acks, replay, history, bad frames."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import pytest
import websockets
from websockets.exceptions import ConnectionClosed

from backend.twin.ws import TOKEN_FLUSH_S, _TokenFrames
from tests.conftest import register_and_login
from tests.fixtures.live import serve

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def live(seneca: dict[str, Any]) -> Iterator[str]:
    with serve() as address:
        yield address


async def recv(ws: Any) -> dict[str, Any]:
    frame: dict[str, Any] = json.loads(await ws.recv())
    return frame


async def until(ws: Any, kind: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    seen: list[dict[str, Any]] = []
    while True:
        frame = await recv(ws)
        seen.append(frame)
        if frame["type"] in (kind, "error"):
            return frame, seen


async def test_streamed_reply_then_replay_and_history(live: str, seneca: dict[str, Any]) -> None:
    url = f"ws://{live}/ws/chat?token={seneca['member']['token']}"
    async with websockets.connect(url) as ws:
        assert (await recv(ws))["type"] == "ready"
        await ws.send(
            json.dumps({"type": "message", "text": "Why do people complain that life is short?", "client_id": "m1"})
        )
        reply, seen = await until(ws, "reply")
        kinds = [f["type"] for f in seen]
        assert kinds[0] == "ack" and "typing" in kinds and kinds.count("token") >= 2  # the first word, the rest
        assert reply["grounded"] is True and reply["citations"] and reply["consistency"] is None
        streamed = "".join(f["text"] for f in seen if f["type"] == "token")
        assert streamed.strip() == reply["reply"].strip()
        conv = reply["conversation_id"]

    # The connection dropped before the client saw its answer: it reconnects and resends the same id.
    async with websockets.connect(url) as ws:
        await recv(ws)
        await ws.send(
            json.dumps(
                {
                    "type": "message",
                    "text": "Why do people complain that life is short?",
                    "client_id": "m1",
                    "conversation_id": conv,
                }
            )
        )
        again, _ = await until(ws, "reply")
        assert again["message_id"] == reply["message_id"]
        await ws.send(json.dumps({"type": "history", "conversation_id": conv}))
        history, _ = await until(ws, "history")
        assert [m["role"] for m in history["messages"]] == ["user", "assistant"]
        await ws.send(json.dumps({"type": "history", "conversation_id": conv, "after": history["messages"][0]["id"]}))
        later, _ = await until(ws, "history")
        assert [m["id"] for m in later["messages"]] == [history["messages"][1]["id"]]


async def test_bad_frames_and_foreign_conversations(live: str, seneca: dict[str, Any]) -> None:
    url = f"ws://{live}/ws/chat?token={seneca['member']['token']}"
    async with websockets.connect(url) as ws:
        await recv(ws)
        await ws.send("not json")
        assert (await recv(ws))["error"] == "malformed_frame"
        await ws.send(json.dumps({"type": "dance"}))
        assert (await recv(ws))["error"] == "malformed_frame"
        await ws.send(json.dumps({"type": "message", "text": ""}))
        assert (await recv(ws))["error"] == "invalid_input"
        await ws.send(
            json.dumps({"type": "message", "text": "hello", "conversation_id": "00000000-0000-0000-0000-000000000001"})
        )
        frame, _ = await until(ws, "reply")
        assert frame["error"] == "not_found"
        await ws.send(json.dumps({"type": "ping"}))
        assert (await recv(ws))["type"] == "pong"
        await ws.send("x" * (17 * 1024))
        with pytest.raises(ConnectionClosed) as closed:
            await recv(ws)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 1009


@pytest.mark.parametrize("token", ["", "garbage", "a.b.c"])
async def test_bad_tokens_close_with_4401(live: str, token: str) -> None:
    async with websockets.connect(f"ws://{live}/ws/chat?token={token}") as ws:
        assert (await recv(ws))["type"] == "error"
        with pytest.raises(ConnectionClosed) as closed:
            await recv(ws)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 4401


async def test_other_workspace_cannot_reach_conversation(live: str, seneca: dict[str, Any], client: Any) -> None:
    async with websockets.connect(f"ws://{live}/ws/chat?token={seneca['member']['token']}") as ws:
        await recv(ws)
        await ws.send(json.dumps({"type": "message", "text": "What is the right use of time?"}))
        mine, _ = await until(ws, "reply")
    stranger = await register_and_login(client, "ws-stranger")
    async with websockets.connect(f"ws://{live}/ws/chat?token={stranger['access_token']}") as ws:
        await recv(ws)
        await ws.send(json.dumps({"type": "history", "conversation_id": mine["conversation_id"]}))
        assert (await recv(ws))["error"] == "not_found"
        await ws.send(json.dumps({"type": "message", "text": "hi", "conversation_id": mine["conversation_id"]}))
        frame, _ = await until(ws, "reply")
        assert frame["error"] == "not_found"


async def test_token_frames_send_the_first_text_at_once_then_coalesce() -> None:
    sent: list[dict[str, Any]] = []

    class Socket:
        async def send_text(self, data: str) -> None:
            sent.append(json.loads(data))

    frames = _TokenFrames(Socket(), "c1")  # type: ignore[arg-type]
    await frames.add("Life ")
    assert [f["text"] for f in sent] == ["Life "]  # no wait for the first
    for word in ["is ", "long ", "enough "]:
        await frames.add(word)
    assert len(sent) == 1  # within the window: held
    await asyncio.sleep(TOKEN_FLUSH_S * 2)
    assert [f["text"] for f in sent] == ["Life ", "is long enough "]  # flushed by the timer, in order
    await frames.add("if ")
    await frames.add("used.")
    await frames.close()
    assert "".join(f["text"] for f in sent) == "Life is long enough if used."
    assert all(f["type"] == "token" and f["client_id"] == "c1" for f in sent)
