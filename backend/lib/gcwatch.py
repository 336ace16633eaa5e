"""Log the cyclic garbage collector's long pauses: every request in the process waits while it runs.

A full collection walks every tracked object that is not frozen; a worker holding thousands of WebSocket
connections has hundreds of thousands of them (the chat bench saw 150-350 ms pauses while a worker opened
10,000). Freezing what survived each full collection, so that the next walks only what came after, cut
those pauses to ~115 ms but was dropped: frozen objects in reference cycles are never collected once
released, and each closed WebSocket left ~118 of them behind for good (tests/chat/test_ws_churn.py).
A pause above `threshold_ms` is logged as `gc_pause`, so a latency tail can be matched to it.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable
from typing import Any

import structlog

log = structlog.get_logger()


def log_pause(**fields: Any) -> None:
    log.warning("gc_pause", **fields)


class GcWatch:
    def __init__(self, threshold_ms: float = 20.0, report: Callable[..., None] = log_pause) -> None:
        self.threshold_ms = threshold_ms
        self.report = report
        self._started = 0.0
        self.longest_ms = 0.0

    def __call__(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
            return
        ms = (time.perf_counter() - self._started) * 1000
        self.longest_ms = max(self.longest_ms, ms)
        if ms >= self.threshold_ms:
            self.report(ms=round(ms, 1), generation=info.get("generation"), collected=info.get("collected"))

    def install(self) -> GcWatch:
        if self not in gc.callbacks:
            gc.callbacks.append(self)
        return self

    def remove(self) -> None:
        if self in gc.callbacks:
            gc.callbacks.remove(self)
