"""Background jobs on saq (Redis-backed). With the in-process Redis fallback, jobs run as local tasks."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Awaitable, Callable
from typing import Any

import structlog
from redis.asyncio import Redis
from saq import Worker
from saq.queue.redis import RedisQueue

log = structlog.get_logger()
JobFunction = Callable[..., Awaitable[Any]]
QUEUE_NAME = "coachtwin"


class EmbeddedWorker(Worker):  # type: ignore[type-arg]
    """A saq worker that leaves signals to its host process (granian, uvicorn, our CLI)."""

    SIGNALS: list[signal.Signals] = []


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
        **kwargs: Any,
    ) -> None:
        """Queue `function(**kwargs)`; a `key` dedupes (a job with the same key is not queued twice)."""
        if self.queue is None:
            task = asyncio.create_task(self._run_local(function, kwargs))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
            return
        await self.queue.enqueue(
            function, key=key, timeout=timeout, retries=retries, heartbeat=120, retry_delay=1.0, **kwargs
        )

    async def _run_local(self, function: str, kwargs: dict[str, Any]) -> None:
        try:
            await self.functions[function]({**self.context}, **kwargs)
        except Exception:
            log.exception("job_failed", function=function)

    async def start_worker(self, concurrency: int = 2, sweep_seconds: int = 30, grace_seconds: int = 5) -> None:
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
            shutdown_grace_period_s=grace_seconds,  # stopping waits this long for running jobs
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
