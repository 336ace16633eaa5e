"""Queries through ONNX Runtime give torch's vectors; the exported model is made once and reused; a broken
model file falls back to torch instead of serving wrong vectors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from backend.lib.embeddings import Embedder
from backend.lib.onnx_embeddings import OnnxEmbedder

pytestmark = pytest.mark.slow

TEXTS = [
    "Why does life feel so short?",
    "How should I deal with a colleague who keeps interrupting me in meetings and never listens?",
    "Begin the morning by saying to thyself, I shall meet with the busy-body, the ungrateful, arrogant.",
]


@pytest.fixture(scope="module")
def torch_vectors() -> np.ndarray:
    return Embedder().encode_sync(TEXTS)


async def test_queries_match_torch_and_the_export_is_reused(tmp_path: Path, torch_vectors: np.ndarray) -> None:
    first = OnnxEmbedder(cache_dir=tmp_path)
    vectors = np.stack([await first.encode_one(t) for t in TEXTS])
    assert first.runtime == "onnx"
    assert np.abs(vectors - torch_vectors).max() < 1e-4
    background = await first.encode_one(TEXTS[1], urgent=False)  # the background lane too
    assert np.abs(background - torch_vectors[1]).max() < 1e-4
    exported = first.onnx_file()
    made = exported.stat().st_mtime_ns

    second = OnnxEmbedder(cache_dir=tmp_path)
    await second.warm()
    assert second.runtime == "onnx" and exported.stat().st_mtime_ns == made  # loaded, not exported again
    assert (await second.health())["runtime"] == "onnx"


async def test_a_broken_model_file_falls_back_to_torch(tmp_path: Path, torch_vectors: np.ndarray) -> None:
    embedder = OnnxEmbedder(cache_dir=tmp_path)
    embedder.onnx_file().parent.mkdir(parents=True, exist_ok=True)
    embedder.onnx_file().write_bytes(b"not an onnx graph")
    vector = await embedder.encode_one(TEXTS[0])
    assert embedder.runtime == "torch"
    assert np.abs(vector - torch_vectors[0]).max() < 1e-5
