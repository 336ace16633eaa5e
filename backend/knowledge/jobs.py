"""The ingestion job: parse -> chunk -> dedupe -> embed in batches (passage and sentence vectors from one
forward pass) -> Chroma + PostgreSQL, with progress.

Idempotent and resumable: chunk ids are derived from (document, version, ordinal), vectors are upserted
before their rows are committed, and a rerun skips every chunk whose row already exists. A worker killed
mid-document is swept by saq and the retry continues where the last committed batch ended.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from typing import Any

import structlog
from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert

from backend.knowledge.chunking import Chunk as TextChunk
from backend.knowledge.chunking import deduplicate
from backend.knowledge.lexical import refresh_stats
from backend.knowledge.parsing import DocumentError
from backend.knowledge.parsing.isolated import ParseLimits, parse_isolated
from backend.knowledge.spans import encode_with_spans, pack
from backend.lib.jobs import TenantSlot, defer_delay, heartbeat
from backend.lib.platform import Platform
from backend.lib.tenancy import TenantContext
from common.enums import DocumentStatus
from common.models import Chunk, Document, DocumentFile
from common.settings import Settings

log = structlog.get_logger()
_NS = uuid.UUID("6f1c7f0e-52c5-4d9b-a7a5-3c3cf5f1f0a1")


def chunk_id(document_id: uuid.UUID, version: int, ordinal: int) -> uuid.UUID:
    return uuid.uuid5(_NS, f"{document_id}:{version}:{ordinal}")


async def _set(platform: Platform, tenant: TenantContext, document_id: uuid.UUID, **values: Any) -> Document | None:
    async with platform.db.session(tenant) as db:
        doc = await db.get(Document, document_id, with_for_update=True)
        if doc is None:
            return None
        for name, value in values.items():
            setattr(doc, name, value)
        await db.commit()
        return doc


async def _fail(platform: Platform, tenant: TenantContext, document_id: uuid.UUID, reason: str) -> None:
    """A failed document keeps no passages in either store."""
    assert tenant.creator_id is not None  # a document's job always acts for its workspace
    async with platform.db.session(tenant) as db:
        ids = [str(i) for i in (await db.execute(select(Chunk.id).where(Chunk.document_id == document_id))).scalars()]  # type: ignore[call-overload]
        await platform.services.vectors.delete(tenant.creator_id, ids)
        await db.execute(delete(Chunk).where(Chunk.document_id == document_id))  # type: ignore[arg-type]
        doc = await db.get(Document, document_id, with_for_update=True)
        if doc is not None:
            doc.status, doc.error, doc.chunk_count = DocumentStatus.failed, reason, 0
        await db.commit()
    log.info("ingest_failed", document_id=str(document_id), reason=reason)


INTERRUPTED = "Processing was interrupted (the server stopped); it starts again when a worker is back."
TOOK_TOO_LONG = "Processing took longer than {minutes:.0f} minutes and was stopped. Split the file into smaller ones."


def parse_limits(settings: Settings) -> ParseLimits:
    return ParseLimits(
        cpu_seconds=settings.parse_cpu_seconds,
        memory_mb=settings.parse_memory_mb,
        wall_seconds=settings.parse_wall_seconds,
        max_chars=settings.parse_max_chars,
        max_bytes=settings.max_upload_bytes,
    )


async def ingest_document(
    ctx: dict[str, Any], *, creator_id: str, document_id: str, version: int, deferrals: int = 0
) -> str:
    """The saq job. One document per workspace at a time (`TenantSlot`); a cancelled or timed-out run
    always leaves its document `failed` with the reason, never `processing`."""
    platform: Platform = ctx["platform"]
    cid, did = uuid.UUID(creator_id), uuid.UUID(document_id)
    tenant, job = TenantContext(cid), ctx.get("job")
    slot = TenantSlot(platform.redis, "ingest", cid)
    # From the queue: give the worker slot back when the workspace already has a document in work. Called
    # directly (bulk ingest), wait for it.
    if not await slot.try_acquire(wait=0 if job is not None else platform.settings.ingest_timeout_seconds):
        await platform.services.jobs.enqueue(
            "ingest_document",
            key=f"ingest:{did}:{version}:{deferrals + 1}",
            delay=defer_delay(deferrals),
            timeout=platform.settings.ingest_timeout_seconds + 60,
            creator_id=creator_id,
            document_id=document_id,
            version=version,
            deferrals=deferrals + 1,
        )
        return "deferred"
    deadline = platform.settings.ingest_timeout_seconds
    clock = asyncio.timeout(deadline)
    try:
        async with heartbeat(job, slot=slot), clock:
            return await _ingest(ctx, platform, tenant, did, version)
    except TimeoutError:
        if not clock.expired():
            raise
        await _fail(platform, tenant, did, TOOK_TOO_LONG.format(minutes=deadline / 60))
        return "failed"
    except asyncio.CancelledError:  # not an Exception: a worker stopping, or saq's own timeout
        with contextlib.suppress(Exception):
            await asyncio.shield(_fail(platform, tenant, did, INTERRUPTED))
        raise
    finally:
        await asyncio.shield(slot.release())


async def _ingest(ctx: dict[str, Any], platform: Platform, tenant: TenantContext, did: uuid.UUID, version: int) -> str:
    async with platform.db.session(tenant) as db:
        doc = await db.get(Document, did)
        if doc is None or doc.version != version:
            return "superseded"
        if doc.status == DocumentStatus.ready:
            return "ready"
        if doc.status == DocumentStatus.failed and doc.error != INTERRUPTED:
            return "failed"  # final for this version (a retry must not parse a hostile file again)
        data = (
            await db.execute(select(DocumentFile.data).where(DocumentFile.document_id == did))  # type: ignore[call-overload]
        ).scalar_one()
        filename = doc.filename
        doc.status, doc.progress, doc.error = DocumentStatus.processing, max(doc.progress, 0.02), None
        await db.commit()
    try:
        parsed = await parse_isolated(data, filename, parse_limits(platform.settings))
        del data
        await _set(platform, tenant, did, progress=0.08)
        chunks = deduplicate(await asyncio.to_thread(platform.services.chunker.chunk, parsed))
        if not chunks:
            raise DocumentError("The document contains no readable text.")
        await _set(platform, tenant, did, progress=0.1)  # read and split: the passages' indexing comes next
    except DocumentError as exc:
        await _fail(platform, tenant, did, exc.reason)
        return "failed"
    except Exception:
        job = ctx.get("job")
        if job is None or job.attempts >= job.retries:
            await _fail(platform, tenant, did, "Processing failed unexpectedly; please upload the file again.")
        raise
    return await _index(ctx, platform, tenant, did, version, chunks)


async def _index(
    ctx: dict[str, Any],
    platform: Platform,
    tenant: TenantContext,
    did: uuid.UUID,
    version: int,
    chunks: list[TextChunk],
) -> str:
    cid = tenant.creator_id
    assert cid is not None
    vectors, embedder = platform.services.vectors, platform.services.embedder
    wanted = {chunk_id(did, version, c.ordinal): c for c in chunks}
    async with platform.db.session(tenant) as db:
        existing = set((await db.execute(select(Chunk.id).where(Chunk.document_id == did))).scalars())  # type: ignore[call-overload]
        stale = [i for i in existing if i not in wanted]
        await vectors.delete(cid, [str(i) for i in stale])
        if stale:
            await db.execute(delete(Chunk).where(Chunk.id.in_(stale)))  # type: ignore[attr-defined]
        await db.commit()
    todo = [(i, c) for i, c in wanted.items() if i not in existing]
    done, total = len(wanted) - len(todo), len(wanted)
    size = platform.settings.ingest_batch
    for start in range(0, len(todo), size):
        batch = todo[start : start + size]
        embeddings, sentences = await asyncio.to_thread(encode_with_spans, embedder, [c.text for _, c in batch])
        ids = [str(i) for i, _ in batch]
        await vectors.upsert(cid, ids, embeddings, [{"document_id": str(did), "ordinal": c.ordinal} for _, c in batch])
        async with platform.db.session(tenant) as db:
            doc = await db.get(Document, did, with_for_update=True)
            if doc is None or doc.version != version:  # deleted or replaced meanwhile: leave no orphans
                await vectors.delete(cid, ids)
                return "superseded"
            rows = [
                {
                    "id": i,
                    "creator_id": cid,
                    "document_id": did,
                    "ordinal": c.ordinal,
                    "text": c.text,
                    "location": c.location,
                    "token_count": c.token_count,
                    "spans": pack(span),
                }
                for (i, c), span in zip(batch, sentences, strict=True)
            ]
            await db.execute(insert(Chunk).values(rows).on_conflict_do_nothing())
            done += len(batch)
            doc.progress = round(0.1 + 0.89 * done / total, 3)
            await db.commit()
        job = ctx.get("job")
        if job is not None:
            await job.update(progress=done / total)  # also the heartbeat saq's sweeper watches
    await _set(platform, tenant, did, status=DocumentStatus.ready, progress=1.0, chunk_count=total, error=None)
    async with platform.db.session(tenant) as db:
        await refresh_stats(db, cid)  # the full-text leg's corpus figures
        await db.commit()
    log.info("ingest_ready", document_id=str(did), chunks=total)
    return "ready"
