"""Background jobs on saq (Redis-backed). With the in-process Redis fallback, jobs run as local tasks."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import structlog
from redis.asyncio import Redis
from redis.exceptions import LockError, ResponseError
from saq import Worker
from saq.queue.redis import RedisQueue

log = structlog.get_logger()
JobFunction = Callable[..., Awaitable[Any]]
QUEUE_NAME = "coachtwin"


class EmbeddedWorker(Worker):  # type: ignore[type-arg]
    """A saq worker that leaves signals to its host process (granian, uvicorn, our CLI)."""

    SIGNALS: list[signal.Signals] = []

    async def stop(self) -> None:
        # The grace period is for running jobs. The idle loops (dequeue, timers) never end by themselves, so
        # without running jobs waiting it out only delayed every shutdown (and every test client) by 3 s.
        if not self.job_task_contexts:
            self.event.set()
            for task in self.tasks:
                task.cancel()
            self._shutdown_grace_period_s = 1  # an upper bound: the cancelled loops unwind in a tick
        await super().stop()


class Jobs:
    def __init__(
        self, redis_url: str, functions: list[JobFunction], context: dict[str, Any], name: str = QUEUE_NAME
    ) -> None:
        self.functions = {f.__name__: f for f in functions}
        self.context = context
        # saq needs bytes replies, so it gets its own client rather than the app's decoded one.
        self.queue = RedisQueue(Redis.from_url(redis_url), name=name) if redis_url else None
        self._worker: EmbeddedWorker | None = None
        self._tasks: set[asyncio.Task[Any]] = set()

    async def enqueue(
        self,
        function: str,
        *,
        key: str | None = None,
        timeout: int = 3600,  # noqa: ASYNC109 - saq's job timeout, not an await timeout
        retries: int = 3,
        retry_delay: float = 1.0,
        retry_backoff: bool | float = False,
        delay: float = 0,
        **kwargs: Any,
    ) -> None:
        """Queue `function(**kwargs)`, to start `delay` seconds from now at the earliest; a `key` dedupes (a
        job with the same key is not queued twice). `retry_backoff`: saq's exponential backoff from
        `retry_delay` (a number caps the delay, in seconds)."""
        if self.queue is None:
            task = asyncio.create_task(self._run_local(function, kwargs, delay))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
            return
        if key is not None:  # saq takes key=None literally: every such job would share the key "None" (and be dropped)
            kwargs["key"] = key
        when = {"scheduled": int(time.time() + delay)} if delay > 0 else {}
        await self.queue.enqueue(
            function,
            timeout=timeout,
            retries=retries,
            heartbeat=120,
            retry_delay=retry_delay,
            retry_backoff=retry_backoff,
            **when,
            **kwargs,
        )

    async def _run_local(self, function: str, kwargs: dict[str, Any], delay: float = 0) -> None:
        await asyncio.sleep(delay)
        try:
            await self.functions[function]({**self.context}, **kwargs)
        except Exception:
            log.exception("job_failed", function=function)

    async def start_worker(self, concurrency: int = 2, sweep_seconds: int = 30, grace_seconds: int = 3) -> None:
        if self.queue is None:
            return
        await self.queue.connect()

        async def startup(ctx: dict[str, Any]) -> None:
            ctx.update(self.context)

        self._worker = EmbeddedWorker(
            self.queue,
            functions=list(self.functions.items()),
            concurrency=concurrency,
            startup=startup,
            timers={"sweep": sweep_seconds},  # type: ignore[typeddict-item,arg-type]
            # Stopping (SIGTERM) must end within 10 s under load: running jobs get `grace_seconds` (3 by default)
            # to finish, then are cancelled and get 3 s more to record it (their documents end `failed`, saq
            # queues a retry).
            shutdown_grace_period_s=grace_seconds,
            cancellation_hard_deadline_s=3,
        )
        task = asyncio.create_task(self._worker.start())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def health(self) -> dict[str, Any]:
        if self.queue is None:
            return {"backend": "in-process"}
        return {"backend": "saq/redis", "queued": await self.queue.count("queued")}

    async def stop_worker(self) -> None:
        """Stop processing jobs here (running ones finish); the queue stays usable for enqueueing."""
        worker, self._worker = self._worker, None
        if worker is not None:
            await worker.stop()

    async def aclose(self) -> None:
        await self.stop_worker()
        for task in list(self._tasks):
            task.cancel()
        if self.queue is not None:
            await self.queue.disconnect()


class TenantSlot:
    """At most one job of a kind per tenant runs at a time, on every worker (a Redis lock, redis-py's own).

    Fair scheduling on saq, which has no notion of tenants: a job that finds its tenant's slot taken gives
    its worker slot back at once and is queued again a little later (`defer`), so one workspace cannot hold
    every worker slot while another's jobs wait behind it. The lock expires `ttl` seconds after its holder
    stops extending it (a killed worker), so a tenant is never blocked for longer than that.
    """

    def __init__(self, redis: Any, kind: str, creator_id: uuid.UUID, ttl: float = 60) -> None:
        from backend.lib.cache import tenant_key

        self.redis, self.ttl, self.name = redis, ttl, tenant_key(kind, creator_id, "running")
        self.lock = redis.lock(self.name, timeout=ttl)

    async def try_acquire(self, wait: float = 0) -> bool:
        if wait <= 0:
            return bool(await self.lock.acquire(blocking=False))
        return bool(await self.lock.acquire(blocking=True, blocking_timeout=wait))

    async def extend(self) -> None:
        try:
            await self.lock.extend(self.ttl, replace_ttl=True)
        except ResponseError:  # the in-process fallback has no Lua; it serves one process only
            await self.redis.expire(self.name, int(self.ttl))

    async def release(self) -> None:
        try:
            await self.lock.release()
        except LockError:
            pass  # expired meanwhile (someone else may hold it now): nothing of ours to release
        except ResponseError:  # the in-process fallback has no Lua; it serves one process only
            if await self.redis.get(self.name) in (self.lock.local.token, _text(self.lock.local.token)):
                await self.redis.delete(self.name)


def _text(token: Any) -> Any:
    return token.decode() if isinstance(token, bytes) else token


def defer_delay(deferrals: int) -> float:
    """Seconds before a deferred job tries again: soon at first, then backing off to 5 s."""
    return float(min(1 + deferrals, 5))


@contextlib.asynccontextmanager
async def heartbeat(job: Any, every: float = 20, slot: TenantSlot | None = None) -> AsyncIterator[None]:
    """Keep a long job visibly alive while it runs: saq's sweeper retries a job whose heartbeat lapsed (it
    used to start a second parse of the same file while the first still ran), and the tenant's slot would
    expire. Both are refreshed every `every` seconds until the block ends."""

    async def beat() -> None:
        while True:
            await asyncio.sleep(every)
            with contextlib.suppress(Exception):
                if job is not None:
                    await job.update()
                if slot is not None:
                    await slot.extend()

    task = asyncio.create_task(beat())
    try:
        yield
    finally:
        task.cancel()  # not awaited: awaiting here could swallow a cancellation meant for the job itself
