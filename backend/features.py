"""Open the feature services a process needs (vector store, embedder, chunker, job queue, worker)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from backend.delivery.jobs import Delivery
from backend.knowledge.ingest import ingest_document
from backend.lib.jobs import Jobs
from backend.lib.llm import LLM
from backend.lib.onnx_embeddings import OnnxEmbedder
from backend.lib.platform import Platform
from backend.lib.vectors import VectorStore
from backend.programs.timers import advance_program_timers, kick
from backend.twin.consistency import Scorer
from backend.twin.persona_store import synthesize_persona

JOB_FUNCTIONS: list[Callable[..., Awaitable[Any]]] = [ingest_document, synthesize_persona, advance_program_timers]


class LazyChunker:
    """The tokenizer loads on first use, keeping API start-up fast."""

    def __init__(self) -> None:
        self._chunker: Any = None

    def chunk(self, doc: Any) -> Any:
        if self._chunker is None:
            from backend.knowledge.chunking import Chunker

            self._chunker = Chunker()
        return self._chunker.chunk(doc)


async def open_features(platform: Platform) -> Jobs:
    s = platform.settings
    platform.extras["vectors"] = VectorStore(path=s.data_dir / "chroma", url=s.chroma_url)
    # Single texts (queries) on ONNX Runtime, bulk on torch; torch alone if the ONNX model cannot be made.
    platform.extras["embedder"] = OnnxEmbedder(s.embedding_model, s.embedding_batch_size)
    platform.extras["chunker"] = LazyChunker()
    platform.extras["llm"] = LLM(s.ollama_url, s.ollama_model, timeout=s.ollama_timeout)
    platform.extras["scorer"] = Scorer(platform)  # replies' consistency, after they are sent
    jobs = Jobs(s.redis_url, JOB_FUNCTIONS, {"platform": platform}, s.job_queue)
    platform.extras["jobs"] = jobs
    return jobs


async def start_features(platform: Platform) -> Delivery:
    """Open the feature services; Platform.close() later closes every one that has aclose(). The caller
    closes the returned delivery queue."""
    jobs = await open_features(platform)
    delivery = Delivery(platform)
    if platform.settings.worker_in_process:
        await jobs.start_worker()
        await delivery.start_worker()
        await kick(platform)  # timers due while no worker ran (or whose chained job Redis lost) fire now
    return delivery


def run_worker() -> int:
    """`coachtwin worker`: a job worker process; run several against the same Redis and PostgreSQL."""
    import asyncio
    import signal

    from common.settings import get_settings

    async def main() -> None:
        platform = Platform.open(get_settings())
        jobs = await open_features(platform)
        delivery = Delivery(platform)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await jobs.start_worker(concurrency=2, sweep_seconds=15)
        await delivery.start_worker()
        await kick(platform)
        await stop.wait()
        await delivery.aclose()
        await platform.close()

    asyncio.run(main())
    return 0
