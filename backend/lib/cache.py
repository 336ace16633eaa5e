"""Redis: the client, tenant-scoped key names, and a fixed-window rate limiter."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Generic, TypeVar

import hiredis
import structlog
from redis.asyncio import Redis
from redis.exceptions import DataError

from backend.lib.errors import RateLimited
from backend.lib.memo import BoundedMemo

log = structlog.get_logger()
T = TypeVar("T")


def tenant_key(kind: str, creator_id: uuid.UUID | str, rest: str = "") -> str:
    """Every tenant key is `{kind}:creator_{id}:{rest}`, so no key of one tenant names another's."""
    return f"{kind}:creator_{creator_id}:{rest}" if rest else f"{kind}:creator_{creator_id}"


def global_key(kind: str, rest: str) -> str:
    """Keys with no tenant yet (login rate limits by IP and email)."""
    return f"{kind}:global:{rest}"


class _HiredisPacking:
    """Packs commands with hiredis, in C, as redis-py's sync client does; its asyncio connections pack in
    Python, key by key (~1 us a key: the joined revocation MGET of 64 requests carries up to 256 keys).
    hiredis writes str, bytes, int and float exactly as redis-py's encoder does (utf-8; `repr` for numbers)."""

    def pack_command(self, *args: Any) -> list[bytes]:
        if isinstance(args[0], str):  # "CONFIG GET" and the like: the words go as separate arguments
            args = (*args[0].encode().split(), *args[1:])
        elif b" " in args[0]:
            args = (*args[0].split(), *args[1:])
        try:
            return [hiredis.pack_command(args)]
        except TypeError as exc:  # bool, None, ...: what redis-py's encoder refuses too
            raise DataError(str(exc)) from exc


_PACKING: dict[type, type] = {}


def _packing(connection_class: type) -> Any:
    found = _PACKING.get(connection_class)
    if found is None:
        name = f"Hiredis{connection_class.__name__}"
        found = _PACKING[connection_class] = type(name, (_HiredisPacking, connection_class), {})
    return found


def connect(url: str) -> Redis:
    if url:
        # Short timeouts: with Redis unreachable a request answers 503 in seconds, never hangs.
        client = Redis.from_url(
            url, decode_responses=True, health_check_interval=30, socket_connect_timeout=2, socket_timeout=5
        )
        pool = client.connection_pool  # TCP, TLS or Unix socket, as the URL says
        pool.connection_class = _packing(pool.connection_class)
        return client
    # In-process fallback for a laptop without redis-server: fine for one process, nothing more.
    import fakeredis

    log.warning("redis_in_process_fallback", reason="no REDIS_URL and no redis-server found")
    return fakeredis.FakeAsyncRedis(decode_responses=True)


async def hit(redis: Redis, key: str, limit: int, window: int) -> None:
    """Count one attempt in a fixed window; raise RateLimited past the limit."""
    pipe = redis.pipeline()
    pipe.incr(key)
    pipe.expire(key, window, nx=True)
    pipe.ttl(key)
    count, _, ttl = await pipe.execute()
    if int(count) > limit:
        raise RateLimited(
            "Too many attempts; try again later",
            extra={"retry_after": max(int(ttl), 1)},
        )


async def redis_info(redis: Redis) -> dict[str, Any]:
    pong = await redis.ping()  # type: ignore[misc]
    return {"ok": bool(pong)}


class MGetBatcher:
    """MGETs issued in the same event-loop turn go to Redis as ONE MGET (their keys joined, answers split).

    Under load the socket write is the dearest part of a Redis call here (loopback TCP wakes the server
    synchronously): concurrent requests' revocation checks share it instead of paying one each. A lone
    request waits for nothing but the end of the current loop turn. MGET reads all its keys at one instant,
    so a joined MGET answers each caller exactly as its own would have. An error reaches every caller of
    the batch; a caller that gave up (cancelled) does not cancel the others.
    """

    def __init__(self, redis: Redis) -> None:
        self.redis = redis
        self._pending: list[tuple[Sequence[str], asyncio.Future[list[Any]]]] = []
        self._sending: set[asyncio.Task[None]] = set()  # referenced until done (the loop keeps weak ones)
        self._loop: asyncio.AbstractEventLoop | None = None

    async def mget(self, keys: Sequence[str]) -> list[Any]:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[list[Any]] = loop.create_future()
        if self._pending and self._loop is not loop:  # left by a loop that closed before its flush ran
            self._pending = []
        if not self._pending:
            self._loop = loop
            loop.call_soon(self._flush)
        self._pending.append((keys, future))
        return await future

    def _flush(self) -> None:
        batch, self._pending = self._pending, []
        task = asyncio.ensure_future(self._send(batch))
        self._sending.add(task)
        task.add_done_callback(self._sending.discard)

    async def _send(self, batch: list[tuple[Sequence[str], asyncio.Future[list[Any]]]]) -> None:
        try:
            values = await self.redis.mget([key for keys, _ in batch for key in keys])
        except Exception as exc:
            for _, future in batch:
                if not future.done():
                    future.set_exception(exc)
            return
        except asyncio.CancelledError:
            for _, future in batch:
                future.cancel()
            raise
        start = 0
        for keys, future in batch:
            if not future.done():
                future.set_result(values[start : start + len(keys)])
            start += len(keys)


def new_token() -> str:
    return uuid.uuid4().hex


async def agree_on_token(redis: Redis, key: str) -> str:
    """The version token at `key`, made now if there is none (every process agrees on the first one)."""
    pipe = redis.pipeline()
    pipe.set(key, new_token(), nx=True)
    pipe.get(key)
    return str((await pipe.execute())[1])


class TenantMemo(Generic[T]):
    """Values kept in this process, per tenant, while the tenant's version token in Redis stands.

    A read costs one Redis GET (the token) instead of the loads it saves. A writer calls `changed` after
    its commit: every process (every API worker) reloads on its next read. A reader that loaded just
    before a commit stored its value under the old token, so the next read reloads it: never stale past
    the writer's `changed`. Entries also expire after `ttl` seconds (a writer that died between its
    commit and `changed`), and the least recently used go beyond `size`. Keys are `tenant_key`s, so one
    tenant's entry is never another's.
    """

    def __init__(self, kind: str, size: int = 1024, ttl: float = 300.0) -> None:
        self.kind, self.size, self.ttl = kind, size, ttl
        self._entries: OrderedDict[str, tuple[str, float, T]] = OrderedDict()

    def _token_key(self, creator_id: uuid.UUID) -> str:
        return tenant_key(self.kind, creator_id, "version")

    async def _token(self, redis: Redis, creator_id: uuid.UUID) -> str:
        key = self._token_key(creator_id)
        token = await redis.get(key)
        return str(token) if token is not None else await agree_on_token(redis, key)

    async def get(self, redis: Redis, creator_id: uuid.UUID, name: str, load: Callable[[], Awaitable[T]]) -> T:
        key = tenant_key(self.kind, creator_id, name)
        token = await self._token(redis, creator_id)
        found = self._entries.get(key)
        if found is not None and found[0] == token and time.monotonic() < found[1]:
            self._entries.move_to_end(key)
            return found[2]
        value = await load()
        self._entries[key] = (token, time.monotonic() + self.ttl, value)
        self._entries.move_to_end(key)
        while len(self._entries) > self.size:
            self._entries.popitem(last=False)
        return value

    async def changed(self, redis: Redis, creator_id: uuid.UUID) -> None:
        """Call after committing a change to what this memo holds for the tenant."""
        await redis.set(self._token_key(creator_id), new_token())


class TenantReadCache:
    """A tenant's copy of one read in Redis, looked up in the same MGET as the caller's revocation check.

    Two keys per tenant: `{kind}:creator_{id}` holds `<version>|<payload>`, `{kind}:creator_{id}:version`
    the version token, which every writer replaces after its commit (`changed`). A copy counts only when its
    tag equals the version read in the same MGET. A reader takes the version BEFORE it reads PostgreSQL and
    tags its copy with it, so a copy filled from a read that raced a write carries the replaced version and
    is never served; a copy of a newer read tagged with an older version only costs a miss. Copies expire
    after `ttl` seconds too (a writer that died between its commit and `changed`). Copies are filled only
    from a read made as the tenant (RLS), and keys are `tenant_key`s, so no tenant's copy is another's.
    """

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._keys: BoundedMemo[uuid.UUID, tuple[str, str]] = BoundedMemo(4096)  # built once per tenant

    def keys(self, creator_id: uuid.UUID) -> tuple[str, str]:
        found = self._keys.get(creator_id)
        if found is None:
            copy, version = tenant_key(self.kind, creator_id), tenant_key(self.kind, creator_id, "version")
            found = self._keys.put(creator_id, (copy, version))
        return found

    @staticmethod
    def valid(copy: str | None, version: str | None) -> str | None:
        """The payload of `copy` if it was filled under `version`, else None."""
        if copy is None or version is None:
            return None
        tag, _, payload = copy.partition("|")
        return payload if tag == version else None

    async def version(self, redis: Redis, creator_id: uuid.UUID) -> str:
        """The version to tag a fill with when the MGET found none (first read since Redis started)."""
        return await agree_on_token(redis, self.keys(creator_id)[1])

    async def fill(self, redis: Redis, creator_id: uuid.UUID, version: str, payload: str, ttl: int) -> None:
        await redis.set(self.keys(creator_id)[0], f"{version}|{payload}", ex=ttl)

    async def changed(self, redis: Redis, creator_id: uuid.UUID) -> None:
        """Call after committing a change to what this read returns for the tenant."""
        copy, version = self.keys(creator_id)
        pipe = redis.pipeline()
        pipe.set(version, new_token())
        pipe.delete(copy)
        await pipe.execute()
