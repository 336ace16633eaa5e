"""Live delivery to open member sockets, whichever API worker or instance holds them: Redis pub/sub.

Each member has one channel, `live:creator_{cid}:member:{mid}` (a `tenant_key`, so no name of one tenant
or member is another's, and a socket subscribes only to the channel of the member its token names).
Anything that speaks to a member PUBLISHes the ready JSON frame there; each API process keeps ONE pub/sub
connection (`LiveHub`) subscribed to the channels of the members whose sockets it holds, and hands each
frame to those sockets. A frame may name one connection that must not get it (the socket whose own turn
produced it already shows it): the published text is `<skip connection id>|<frame JSON>`.

Frames for one socket leave in order through a small queue with one drain task, so a slow socket never
holds up the others.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any

import structlog
from redis.asyncio import Redis
from redis.exceptions import RedisError

from backend.lib.cache import tenant_key

log = structlog.get_logger()
MAX_QUEUED = 500  # frames waiting for one socket; past this the socket is too slow and the oldest go
Send = Callable[[str], Awaitable[None]]


def member_channel(creator_id: uuid.UUID, member_id: uuid.UUID) -> str:
    return tenant_key("live", creator_id, f"member:{member_id}")


async def publish(redis: Redis, creator_id: uuid.UUID, member_id: uuid.UUID, frame: str, skip: str = "") -> int:
    """Send a frame (JSON text) to every open socket of the member; the number of processes that hold one."""
    return int(await redis.publish(member_channel(creator_id, member_id), f"{skip}|{frame}"))


async def publish_quietly(redis: Redis, creator_id: uuid.UUID, member_id: uuid.UUID, frame: str, skip: str = "") -> int:
    """`publish` for frames that only inform (the message itself is stored): a Redis failure is logged, and
    the member sees the state on their next read."""
    try:
        return await publish(redis, creator_id, member_id, frame, skip)
    except (RedisError, OSError) as exc:
        log.warning("live_publish_failed", error=f"{type(exc).__name__}: {exc}"[:200])
        return 0


class LiveConnection:
    """One open socket as the hub sees it: frames queue here and leave in order."""

    __slots__ = ("_queue", "_send", "_task", "id")

    def __init__(self, send: Send) -> None:
        self.id = uuid.uuid4().hex
        self._send = send
        self._queue: deque[str] = deque()
        self._task: asyncio.Task[None] | None = None

    def push(self, frame: str) -> None:
        if len(self._queue) >= MAX_QUEUED:
            self._queue.popleft()  # the member fetches what they missed (`after`) when they catch up
        self._queue.append(frame)
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._drain())

    async def _drain(self) -> None:
        try:
            while self._queue:
                await self._send(self._queue.popleft())
        except Exception:  # the socket closed under us: its handler detaches it
            self._queue.clear()
        finally:
            self._task = None

    def close(self) -> None:
        self._queue.clear()
        if self._task is not None:
            self._task.cancel()


class LiveHub:
    """This process's subscriptions: one pub/sub connection for all of its member sockets."""

    def __init__(self, redis: Redis) -> None:
        self._redis = redis
        self._pubsub: Any = None
        self._sockets: dict[str, set[LiveConnection]] = {}
        self._reader: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()  # subscribe/unsubscribe in the order sockets come and go

    @property
    def sockets(self) -> int:
        return sum(len(s) for s in self._sockets.values())

    async def attach(self, creator_id: uuid.UUID, member_id: uuid.UUID, conn: LiveConnection) -> None:
        channel = member_channel(creator_id, member_id)
        async with self._lock:
            held = self._sockets.get(channel)
            if held is not None:
                held.add(conn)
                return
            self._sockets[channel] = {conn}
            if self._pubsub is None:
                self._pubsub = self._redis.pubsub(ignore_subscribe_messages=True)
            await self._pubsub.subscribe(channel)
            if self._reader is None:
                self._reader = asyncio.get_running_loop().create_task(self._read())

    async def detach(self, creator_id: uuid.UUID, member_id: uuid.UUID, conn: LiveConnection) -> None:
        conn.close()
        channel = member_channel(creator_id, member_id)
        async with self._lock:
            held = self._sockets.get(channel)
            if held is None:
                return
            held.discard(conn)
            if held:
                return
            del self._sockets[channel]
            if self._pubsub is not None:
                with contextlib.suppress(RedisError, OSError):
                    await self._pubsub.unsubscribe(channel)

    def _hand_out(self, channel: str, data: str) -> None:
        held = self._sockets.get(channel)
        if not held:
            return
        skip, _, frame = data.partition("|")
        for conn in held:
            if conn.id != skip:
                conn.push(frame)

    async def _read(self) -> None:
        while True:
            try:
                message = await self._pubsub.get_message(ignore_subscribe_messages=True, timeout=None)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # Redis restarting: redis-py reconnects and subscribes again
                log.warning("live_hub_read_failed", error=f"{type(exc).__name__}: {exc}"[:200])
                await asyncio.sleep(0.5)
                continue
            if message is not None and message.get("type") == "message":
                self._hand_out(str(message["channel"]), str(message["data"]))

    async def aclose(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._reader
            self._reader = None
        for held in self._sockets.values():
            for conn in held:
                conn.close()
        self._sockets.clear()
        if self._pubsub is not None:
            with contextlib.suppress(Exception):
                await self._pubsub.aclose()
            self._pubsub = None
