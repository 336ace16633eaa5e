"""Start and stop the feature services a process needs (job worker, vector store, models)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from backend.lib.platform import Platform


async def start_features(platform: Platform) -> Callable[[], Awaitable[None]]:
    async def stop() -> None:
        return None

    return stop
