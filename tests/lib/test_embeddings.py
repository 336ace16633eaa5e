"""The embedder's micro-batching: concurrent single-text encodes share model calls and keep their vectors."""

from __future__ import annotations

import asyncio
import functools
import threading
from typing import Any

import numpy as np
import pytest

from backend.lib.embeddings import Embedder

QUERIES = [
    "Why does life feel so short?",
    "How should I spend my free time?",
    "What did Seneca say about being busy?",
    "Is it wise to postpone living until retirement?",
    "Why do we guard money but give away time?",
    "How can I stop worrying about the future?",
    "What is the value of reading old philosophers?",
    "Where does my time go?",
]
LONG = " ".join(QUERIES) * 3


@functools.cache
def _shared() -> Embedder:
    return Embedder()


@pytest.fixture
def embedder() -> Embedder:
    shared = _shared()
    fresh = Embedder(shared.model_path)
    fresh._model = shared._load()  # one model load for the module; fresh queues and counters per test
    fresh._default_threads = shared._default_threads
    return fresh


class Gated:
    """Hold the model's first call until released, so the others queue behind it deterministically."""

    def __init__(self, embedder: Embedder) -> None:
        self.release = threading.Event()
        self.calls: list[list[str]] = []
        run = embedder._run

        def gated(texts: list[str], batch_size: int, threads: int | None) -> Any:
            self.calls.append(list(texts))
            if len(self.calls) == 1:
                self.release.wait(30)
            return run(texts, batch_size, threads)

        embedder._run = gated  # type: ignore[method-assign]


async def _until(condition: Any) -> None:
    for _ in range(500):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("condition not reached")


async def test_concurrent_encodes_share_a_model_call_and_equal_single_encodes(embedder: Embedder) -> None:
    singles = np.stack([embedder.encode_sync([q])[0] for q in QUERIES])
    gate = Gated(embedder)
    first = asyncio.ensure_future(embedder.encode_one("warm-up question"))
    await _until(lambda: gate.calls)
    rest = [asyncio.ensure_future(embedder.encode_one(q)) for q in QUERIES]
    gate.release.set()
    await first
    got = np.stack(await asyncio.gather(*rest))
    assert len(gate.calls) == 2 and gate.calls[1] == QUERIES  # all eight in one call, in arrival order
    assert got.shape == (len(QUERIES), 384) and got.dtype == np.float32
    np.testing.assert_allclose(got, singles, atol=2e-5)
    assert np.argmax(got @ singles.T, axis=1).tolist() == list(range(len(QUERIES)))


async def test_background_texts_have_their_own_lane_and_long_ones_are_not_padded(embedder: Embedder) -> None:
    gate = Gated(embedder)
    first = asyncio.ensure_future(embedder.encode_one("warm-up question"))
    await _until(lambda: gate.calls)
    # The request lane is busy (held): background texts do not wait for it.
    calls: list[list[str]] = []
    run = embedder._run_background

    def recorded(texts: list[str]) -> Any:
        calls.append(list(texts))
        return run(texts)

    embedder._run_background = recorded  # type: ignore[method-assign]
    background = asyncio.ensure_future(embedder.encode_one(LONG, urgent=False))
    background_short = asyncio.ensure_future(embedder.encode_one("a short reply", urgent=False))
    await asyncio.wait_for(asyncio.gather(background, background_short), 60)
    assert not first.done() and gate.calls == [["warm-up question"]]
    assert calls == [[LONG], ["a short reply"]]  # the oldest alone: no short text padded to the long one
    queries = [asyncio.ensure_future(embedder.encode_one(q)) for q in QUERIES[:3]]
    gate.release.set()
    await asyncio.gather(first, *queries)
    assert gate.calls[1] == QUERIES[:3]
    np.testing.assert_allclose(await background, embedder.encode_sync([LONG])[0], atol=2e-5)


async def test_a_cancelled_caller_does_not_disturb_the_others(embedder: Embedder) -> None:
    gate = Gated(embedder)
    first = asyncio.ensure_future(embedder.encode_one("warm-up question"))
    await _until(lambda: gate.calls)
    gone = asyncio.ensure_future(embedder.encode_one(QUERIES[0]))
    kept = asyncio.ensure_future(embedder.encode_one(QUERIES[1]))
    await asyncio.sleep(0)
    gone.cancel()
    gate.release.set()
    await first
    vector = await kept
    assert gate.calls[1] == [QUERIES[1]]
    np.testing.assert_allclose(vector, embedder.encode_sync([QUERIES[1]])[0], atol=2e-5)
    assert gone.cancelled()


async def test_model_errors_reach_every_caller_of_the_batch_and_the_queue_recovers(embedder: Embedder) -> None:
    run = embedder._run
    failures = iter([True])

    def flaky(texts: list[str], batch_size: int, threads: int | None) -> Any:
        if next(failures, False):
            raise RuntimeError("model exploded")
        return run(texts, batch_size, threads)

    embedder._run = flaky  # type: ignore[method-assign]
    results = await asyncio.gather(*(embedder.encode_one(q) for q in QUERIES[:3]), return_exceptions=True)
    assert all(isinstance(r, RuntimeError) for r in results)
    assert (await embedder.encode_one(QUERIES[0])).shape == (384,)


async def test_bulk_encode_unchanged(embedder: Embedder) -> None:
    bulk = await embedder.encode(QUERIES)
    assert bulk.shape == (len(QUERIES), 384)
    np.testing.assert_allclose(np.linalg.norm(bulk, axis=1), 1.0, atol=1e-5)
    assert (await embedder.encode([])).shape == (0, 384)
