"""Single texts (search queries, replies to score) through ONNX Runtime; bulk work stays on torch.

Why: a short query through sentence-transformers on torch takes ~9 ms of one core here, the same forward
pass through ONNX Runtime ~4 ms, and ONNX Runtime holds no GIL while it runs, so the event loop keeps
serving. Bulk encodes (ingestion, with its token vectors) gain little (~10%) and stay on torch.

The ONNX graph is exported once from the same weights (torch's exporter, which needs the `onnx` package)
into the user's cache folder (a file named by the weights' hash, so every data folder and test run on the
machine shares it), under a file lock so that several workers starting together export it once. Before
it is used, the exported model must reproduce torch's vectors on a probe text (to 1e-4); otherwise, or
when ONNX Runtime is missing, every text goes through torch as before, with a warning.
"""

from __future__ import annotations

import asyncio
import fcntl
import hashlib
import os
import threading
from pathlib import Path
from typing import Any

import numpy as np
import structlog

from backend.lib.embeddings import Embedder

log = structlog.get_logger()
PROBE = "How do I stay calm when everything around me goes wrong? A short question, and a longer second sentence."
TOLERANCE = 1e-4


def default_cache_dir() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "coachtwin" / "models"


class OnnxEmbedder(Embedder):
    """`encode_one` (both lanes' model calls) on ONNX Runtime, one intra-op thread; `encode*` (bulk) on torch."""

    def __init__(
        self, model_path: str = "", batch_size: int = 64, *, cache_dir: Path | None = None, **kwargs: Any
    ) -> None:
        super().__init__(model_path, batch_size, **kwargs)
        self.cache_dir = cache_dir or default_cache_dir()
        self._session: Any = None
        self._onnx_ready = threading.Event()  # set once the session is loaded or found unusable
        self._onnx_lock = threading.Lock()
        self.runtime = "pending"  # "onnx" | "torch" once known (health, tests)

    def onnx_file(self) -> Path:
        """Keyed by the weights' content, so a changed model is exported again."""
        weights = Path(self.model_path) / "model.safetensors"
        digest = hashlib.sha256(weights.read_bytes()).hexdigest()[:16] if weights.exists() else "unknown"
        return self.cache_dir / f"{Path(self.model_path).name}-{digest}.onnx"

    def _export(self, target: Path) -> None:
        import torch

        model = self._load()
        bert = model[0].auto_model.eval()

        class Hidden(torch.nn.Module):  # keyword arguments: the exporter passes positionals
            def __init__(self) -> None:
                super().__init__()
                self.bert = bert

            def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
                out = self.bert(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids)
                return out.last_hidden_state

        names = ["input_ids", "attention_mask", "token_type_ids"]
        enc = model.tokenizer([PROBE], return_tensors="pt")
        axes = {n: {0: "batch", 1: "tokens"} for n in [*names, "hidden"]}
        partial = target.with_suffix(f".{os.getpid()}.part")
        with self._run_lock, torch.inference_mode():
            torch.onnx.export(
                Hidden(),
                tuple(enc[n] for n in names),
                str(partial),
                input_names=names,
                output_names=["hidden"],
                dynamic_axes=axes,
                opset_version=17,
                dynamo=False,
            )
        partial.replace(target)  # atomic: a reader never sees half a file

    def _open_session(self) -> Any:
        import onnxruntime as ort

        target = self.onnx_file()
        target.parent.mkdir(parents=True, exist_ok=True)
        with open(target.with_suffix(".lock"), "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # one exporter among the processes starting together
            if not target.exists():
                log.info("onnx_export", file=str(target))
                self._export(target)
        options = ort.SessionOptions()
        options.intra_op_num_threads = 1  # one core per call: the same reasoning as the torch lanes
        options.inter_op_num_threads = 1
        return ort.InferenceSession(str(target), options, providers=["CPUExecutionProvider"])

    def _onnx(self) -> Any:
        """The session, loaded and checked against torch on first use; None when torch must serve."""
        if self._onnx_ready.is_set():
            return self._session
        with self._onnx_lock:
            if not self._onnx_ready.is_set():
                try:
                    self._session = self._open_session()
                    gap = float(np.abs(self._run_onnx([PROBE]) - super()._run_urgent([PROBE])).max())
                    if gap > TOLERANCE:
                        raise ValueError(f"ONNX vectors differ from torch's by {gap:.2e}")
                    self.runtime = "onnx"
                except Exception as exc:  # missing package, failed export, a wrong graph: torch serves
                    log.warning("onnx_unavailable", error=str(exc)[:300])
                    self._session, self.runtime = None, "torch"
                self._onnx_ready.set()
        return self._session

    def _run_onnx(self, texts: list[str]) -> np.ndarray:
        model = self._load()
        enc = model.tokenizer(
            texts, padding=True, truncation=True, max_length=model.max_seq_length, return_tensors="np"
        )
        feed = {k: np.asarray(enc[k], dtype=np.int64) for k in ("input_ids", "attention_mask", "token_type_ids")}
        hidden = self._session.run(None, feed)[0]
        mask = feed["attention_mask"][..., None].astype(np.float32)
        pooled = (hidden * mask).sum(axis=1) / np.maximum(mask.sum(axis=1), 1e-9)  # the model's mean pooling
        norms = np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
        return np.asarray(pooled / norms, dtype=np.float32)

    def _run_urgent(self, texts: list[str]) -> np.ndarray:
        return self._run_onnx(texts) if self._onnx() is not None else super()._run_urgent(texts)

    def _run_background(self, texts: list[str]) -> np.ndarray:
        return self._run_onnx(texts) if self._onnx() is not None else super()._run_background(texts)

    async def warm(self) -> None:
        await super().warm()
        await asyncio.to_thread(self._onnx)

    async def health(self) -> dict[str, Any]:
        return {**await super().health(), "runtime": self.runtime}
