"""Open the feature services a process needs (vector store, embedder, chunker, LLM, scorer, job queue).

`Services` is the one typed place a feature's long-lived client lives. To add one: a field below, one line
in `open_services` that builds it; if it has `async health()` the readiness probe reports it, and if it has
`async aclose()` `Platform.close()` closes it (both found through the protocols in `backend/lib/platform.py`).
Feature code reaches it as `platform.services.<name>`; tests swap in a fake by assigning the attribute.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx

from backend.analytics.jobs import kick as kick_analytics
from backend.analytics.jobs import refresh_analytics
from backend.auth.jobs import password_reset_requested, signup_requested
from backend.channels.jobs import handle_channel_event
from backend.channels.telegram.sender import TelegramSender
from backend.channels.whatsapp.sender import WhatsAppSender
from backend.delivery.jobs import Delivery
from backend.delivery.live import LiveHub
from backend.delivery.senders import SENDERS
from backend.engagement.jobs import evaluate_engagement
from backend.engagement.jobs import kick as kick_engagement
from backend.knowledge.chunking import LazyChunker
from backend.knowledge.jobs import ingest_document
from backend.lib.embeddings import Embedder
from backend.lib.jobs import Jobs
from backend.lib.llm import LLM
from backend.lib.onnx_embeddings import OnnxEmbedder
from backend.lib.platform import Platform
from backend.lib.vectors import VectorStore
from backend.mail.jobs import send_mail
from backend.programs.jobs import advance_program_timers, kick
from backend.trainer.jobs import run_evaluation
from backend.twin.consistency import Scorer
from backend.twin.jobs import synthesize_persona
from common.enums import Channel

JOB_FUNCTIONS: list[Callable[..., Awaitable[Any]]] = [
    ingest_document,
    synthesize_persona,
    advance_program_timers,
    run_evaluation,
    evaluate_engagement,
    send_mail,
    signup_requested,
    password_reset_requested,
    handle_channel_event,
    refresh_analytics,
]
# The outbox's channels beside the web (each sends one row; backend/delivery/senders.py).
SENDERS[Channel.telegram] = TelegramSender()
SENDERS[Channel.whatsapp] = WhatsAppSender()


@dataclass
class Services:
    """The feature services of one process, opened once (lifespan, worker, CLI) and shared by every request."""

    vectors: VectorStore  # Chroma: one collection per tenant
    embedder: Embedder  # MiniLM: single texts on ONNX Runtime, bulk on torch
    chunker: LazyChunker  # documents -> passages that fit the model
    llm: LLM  # Ollama; the twin answers extractively when it is unreachable
    scorer: Scorer  # replies' persona consistency, scored after they are sent
    jobs: Jobs  # saq job queue (and this process's worker when it runs one)
    delivery: Delivery  # the outbox's delivery queue (its own saq queue) and the commit listener feeding it
    live: LiveHub  # this process's member sockets, fed by Redis pub/sub (nothing connects until one opens)
    http: httpx.AsyncClient  # outside HTTP APIs (Telegram, WhatsApp): one pooled client per process


def open_services(platform: Platform) -> Services:
    """Build the feature services and attach them to `platform` (nothing connects until first use)."""
    s = platform.settings
    services = Services(
        vectors=VectorStore(path=s.data_dir / "chroma", url=s.chroma_url),
        # Single texts (queries) on ONNX Runtime, bulk on torch; torch alone if the ONNX model cannot be made.
        embedder=OnnxEmbedder(s.embedding_model, s.embedding_batch_size),
        chunker=LazyChunker(),
        llm=LLM(s.ollama_url, s.ollama_model, timeout=s.ollama_timeout),
        scorer=Scorer(platform),
        jobs=Jobs(s.redis_url, JOB_FUNCTIONS, {"platform": platform}, s.job_queue),
        delivery=Delivery(platform),
        live=LiveHub(platform.redis),
        http=httpx.AsyncClient(timeout=httpx.Timeout(15.0, connect=5.0)),
    )
    platform.attach(services)
    return services


async def start_features(platform: Platform) -> None:
    """Open the feature services; Platform.close() later closes every one that has aclose()."""
    services = open_services(platform)
    if platform.settings.worker_in_process:
        await services.jobs.start_worker()
        await services.delivery.start_worker()
        await kick(platform)  # timers due while no worker ran (or whose chained job Redis lost) fire now
        await kick_engagement(platform)
        await kick_analytics(platform)


def open_platform() -> Platform:
    """A platform with its feature services, for a command-line process (worker, bulk ingestion)."""
    from common.settings import get_settings

    platform = Platform.open(get_settings())
    open_services(platform)
    return platform


def run_worker() -> int:
    """`coachtwin worker`: a job worker process; run several against the same Redis and PostgreSQL."""
    import asyncio
    import signal

    async def main() -> None:
        platform = open_platform()
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await platform.services.jobs.start_worker(concurrency=2, sweep_seconds=15)
        await platform.services.delivery.start_worker()
        await kick(platform)
        await kick_engagement(platform)
        await kick_analytics(platform)
        await stop.wait()
        await platform.close()

    asyncio.run(main())
    return 0
