"""Open sockets close when their session ends: sign-out, removal, role change, password reset, staff revoking
a member's sessions. Revocations are published on Redis pub/sub (`sessions:creator_<id>`); every worker
process listens (one pattern subscription) and closes its own affected sockets, within a second.

The revocation marks in Redis stay the source of truth: a socket is also re-checked on every frame it
sends, and every open socket is re-checked after the listener reconnects (messages sent while it was
away are lost, by pub/sub's design).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import structlog
from redis.asyncio import Redis

from backend.lib.cache import tenant_key

log = structlog.get_logger()
PATTERN = "sessions:creator_*"
Kick = Callable[[str], Awaitable[None]]
Recheck = Callable[[], Awaitable[bool]]  # True while the session is still valid


def channel(creator_id: uuid.UUID) -> str:
    return tenant_key("sessions", creator_id)


@dataclass(eq=False)
class Watched:
    creator_id: uuid.UUID
    subject_id: uuid.UUID
    jti: uuid.UUID
    issued_at: float
    kick: Kick
    recheck: Recheck
    kicked: bool = field(default=False)


async def publish_revocation(
    redis: Redis, creator_id: uuid.UUID, *, subject_id: uuid.UUID | None = None, jti: uuid.UUID | None = None
) -> None:
    """Tell every worker: sockets of `subject_id` opened with tokens issued before now (or the socket of
    token `jti`) in this workspace must close. Never raises: the marks in Redis already revoke."""
    event = {"subject": str(subject_id) if subject_id else None, "jti": str(jti) if jti else None, "at": time.time()}
    try:
        await redis.publish(channel(creator_id), json.dumps(event))
    except Exception:
        log.warning("revocation_not_published", creator_id=str(creator_id))


class LiveSessions:
    """This process's open sockets by workspace, and the listener that closes them on revocation."""

    def __init__(self, redis: Redis) -> None:
        self.redis = redis
        self._by_tenant: dict[uuid.UUID, set[Watched]] = {}
        self._listener: asyncio.Task[None] | None = None
        self._ready = asyncio.Event()

    def watch(self, entry: Watched) -> Watched:
        self._by_tenant.setdefault(entry.creator_id, set()).add(entry)
        if self._listener is None or self._listener.done():
            self._ready = asyncio.Event()
            self._listener = asyncio.create_task(self._listen())
        return entry

    def forget(self, entry: Watched) -> None:
        found = self._by_tenant.get(entry.creator_id)
        if found is not None:
            found.discard(entry)
            if not found:
                del self._by_tenant[entry.creator_id]

    async def ready(self) -> None:
        """Wait until the listener is subscribed (tests; a socket is also re-checked on every frame)."""
        await self._ready.wait()

    def count(self) -> int:
        return sum(len(s) for s in self._by_tenant.values())

    async def _listen(self) -> None:
        reconnecting = False
        while self._by_tenant:
            pubsub = self.redis.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.psubscribe(PATTERN)
                self._ready.set()
                if reconnecting:
                    await self._recheck_all()
                while self._by_tenant:
                    message = await pubsub.get_message(timeout=1.0)
                    if message is not None and message.get("type") == "pmessage":
                        await self._apply(str(message["channel"]), str(message["data"]))
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("live_sessions_listener_lost", error=str(exc)[:200])
                self._ready.clear()
                reconnecting = True
                await asyncio.sleep(0.5)
            finally:
                with contextlib.suppress(Exception):
                    await pubsub.aclose()

    async def _apply(self, channel_name: str, data: str) -> None:
        try:
            creator_id = uuid.UUID(channel_name.rsplit("creator_", 1)[1])
            event: dict[str, Any] = json.loads(data)
            subject = uuid.UUID(event["subject"]) if event.get("subject") else None
            jti = uuid.UUID(event["jti"]) if event.get("jti") else None
            at = float(event.get("at") or 0)
        except (ValueError, TypeError, KeyError, IndexError):
            log.warning("revocation_event_malformed", channel=channel_name[:100])
            return
        for entry in list(self._by_tenant.get(creator_id, ())):
            if (jti is not None and entry.jti == jti) or (entry.subject_id == subject and entry.issued_at < at):
                await self._kick(entry, "Your session was ended; sign in again")

    async def _recheck_all(self) -> None:
        for entries in list(self._by_tenant.values()):
            for entry in list(entries):
                with contextlib.suppress(Exception):
                    if not await entry.recheck():
                        await self._kick(entry, "Your session was ended; sign in again")

    async def _kick(self, entry: Watched, reason: str) -> None:
        if entry.kicked:
            return
        entry.kicked = True
        self.forget(entry)
        with contextlib.suppress(Exception):
            await entry.kick(reason)

    async def aclose(self) -> None:
        self._by_tenant.clear()
        if self._listener is not None:
            self._listener.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._listener
