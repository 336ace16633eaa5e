"""Connection churn leaves nothing frozen behind. Freezing what survives each full collection (so a worker
holding thousands of sockets is not walked again and again) was tried and left ~118 objects per closed
socket in the permanent generation, never freed: this test keeps it from coming back unnoticed."""

from __future__ import annotations

import asyncio
import gc
import json
from collections.abc import Iterator
from typing import Any

import pytest
import websockets

from tests.conftest import register_and_login
from tests.fixtures.live import serve

pytestmark = pytest.mark.slow
ROUND = 300


@pytest.fixture(scope="module")
def live() -> Iterator[str]:
    with serve() as address:
        yield address


async def ping_once(url: str) -> None:
    async with websockets.connect(url) as ws:
        assert json.loads(await ws.recv())["type"] == "ready"
        await ws.send(json.dumps({"type": "ping"}))
        assert json.loads(await ws.recv())["type"] == "pong"


async def test_closed_sockets_are_freed_though_survivors_are_frozen(live: str, client: Any) -> None:
    staff = await register_and_login(client, "churn")
    url = f"ws://{live}/ws/chat?token={staff['access_token']}"
    frozen = []
    for _ in range(6):
        held = [await websockets.connect(url) for _ in range(ROUND)]  # held across a full collection
        await asyncio.to_thread(gc.collect)  # a full collection while they are open
        for ws in held:
            assert json.loads(await ws.recv())["type"] == "ready"
            await ws.send(json.dumps({"type": "ping"}))
            assert json.loads(await ws.recv())["type"] == "pong"
        await asyncio.gather(*(ws.close() for ws in held))
        await asyncio.gather(*(ping_once(url) for _ in range(20)))
        await asyncio.sleep(0.2)
        await asyncio.to_thread(gc.collect)
        frozen.append(gc.get_freeze_count())
    # With survivors frozen, each round of ROUND sockets grew the frozen count by ~35,000 for good.
    growth = frozen[-1] - frozen[1]
    assert growth < ROUND * 5, frozen  # well under the objects of even one socket per round
