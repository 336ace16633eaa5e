"""Knowledge documents: accept uploads (indexed by `jobs.ingest_document` once committed), list and edit
them, delete them from both stores. Retrieval is `search.py` (its full-text leg `lexical.py`)."""

from __future__ import annotations

import hashlib
import re
import uuid
from pathlib import PurePath

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.knowledge.lexical import refresh_stats
from backend.knowledge.parsing import DocumentError, detect_kind
from backend.knowledge.schemas import DocumentPatch, PassageOut, PassagesOut
from backend.lib.db import after_commit
from backend.lib.errors import Conflict, InvalidInput, NotFound, PayloadTooLarge, UnsupportedMedia
from backend.lib.platform import Platform
from backend.lib.vectors import VectorStore
from common.enums import DocumentStatus
from common.models import Chunk, Document, DocumentFile

MAX_TAGS = 20
# Short words a title keeps in lower case (after its first word).
_SMALL_WORDS = frozenset(("a", "an", "and", "as", "at", "but", "by", "for", "from", "in", "into", "nor", "of", "on",
                          "or", "the", "to", "upon", "with"))  # fmt: skip


def readable_title(filename: str) -> str:
    """A file name as a title people read: `on_the_shortness_of_life.txt` -> `On the Shortness of Life`.
    Names that already carry capitals (`Meditations - Book II.pdf`) keep them; only separators are cleaned."""
    path = PurePath(filename or "")
    stem = "" if path.name.startswith(".") and not path.suffix else path.stem  # ".txt": an extension, no name
    words = re.sub(r"[_\s]+|(?<=\w)-(?=\w)|(?<=\w)\.(?=\w)", " ", stem).split()
    if not words:
        return "Untitled"
    if any(c.isupper() for c in stem):
        return " ".join(words)
    titled = [w if w.isdigit() else (w if i and w in _SMALL_WORDS else w.capitalize()) for i, w in enumerate(words)]
    return " ".join(titled)


async def check_duplicates(db: AsyncSession, data: bytes, filename: str) -> None:
    """Refuse (409) an upload whose content the workspace already has, or a different file of the same name:
    the hub then offers to replace the earlier document or to keep both (`if_exists=keep_both`)."""
    digest, name = hashlib.sha256(data).hexdigest(), PurePath(filename or "upload").name[:300]
    rows = await db.execute(
        select(Document.id, Document.title, Document.sha256, Document.filename).where(  # type: ignore[call-overload]
            (Document.sha256 == digest) | (Document.filename == name)
        )
    )
    found = rows.all()
    same = next((r for r in found if r.sha256 == digest), None) or next(iter(found), None)
    if same is None:
        return
    reason = "duplicate_content" if same.sha256 == digest else "same_name"
    detail = (
        f"“{same.title}” already has this content."
        if reason == "duplicate_content"
        else f"A different file named {name} is already in your knowledge as “{same.title}”."
    )
    raise Conflict(detail, extra={"reason": reason, "existing_id": str(same.id), "existing_title": same.title})


def clean_tags(raw: str | list[str] | None) -> list[str]:
    items = raw.split(",") if isinstance(raw, str) else (raw or [])
    tags = sorted({t.strip().lower()[:64] for t in items if t and t.strip()})
    if len(tags) > MAX_TAGS:
        raise InvalidInput(f"tags: at most {MAX_TAGS} tags")
    return tags


def check_upload(data: bytes, filename: str, max_bytes: int) -> str:
    """Refuse what cannot become a document before anything is written; return the detected kind."""
    if len(data) > max_bytes:
        raise PayloadTooLarge(f"The file is {len(data) / 1e6:.1f} MB; the limit is {max_bytes / 1e6:.0f} MB")
    if not data:
        raise InvalidInput("file: the file is empty")
    try:
        return detect_kind(data, filename)
    except DocumentError as exc:
        raise UnsupportedMedia(exc.reason) from exc


async def create(
    db: AsyncSession, creator_id: uuid.UUID, data: bytes, filename: str, kind: str, title: str | None, tags: list[str]
) -> Document:
    name = PurePath(filename or "upload").name[:300]
    doc = Document(
        creator_id=creator_id,
        title=(title or readable_title(name))[:300],
        filename=name,
        kind=kind,
        size_bytes=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        status=DocumentStatus.queued,
        tags=tags,
    )
    db.add(doc)
    await db.flush()
    db.add(DocumentFile(creator_id=creator_id, document_id=doc.id, data=data))
    await db.flush()
    return doc


async def get(db: AsyncSession, document_id: uuid.UUID, *, lock: bool = False) -> Document:
    query = select(Document).where(Document.id == document_id)  # type: ignore[arg-type]
    doc = (await db.execute(query.with_for_update() if lock else query)).scalar_one_or_none()
    if doc is None:
        raise NotFound("Document not found")
    return doc


async def listing(db: AsyncSession, *, tag: str | None, q: str | None, limit: int, offset: int) -> list[Document]:
    query = select(Document).order_by(Document.created_at.desc())  # type: ignore[attr-defined]
    if tag:
        query = query.where(Document.tags.contains([tag.lower()]))  # type: ignore[attr-defined]
    if q:
        query = query.where(Document.title.ilike(f"%{q}%"))  # type: ignore[attr-defined]
    return list((await db.execute(query.limit(limit).offset(offset))).scalars())


async def replace(db: AsyncSession, doc: Document, data: bytes, filename: str, kind: str) -> Document:
    """A new version of the same document: same id and tags, new text, re-ingested from scratch."""
    if doc.status in (DocumentStatus.queued, DocumentStatus.processing):
        raise Conflict("This document is still being processed; replace it when it is ready or failed")
    doc.filename = PurePath(filename or doc.filename).name[:300]
    doc.kind = kind
    doc.size_bytes = len(data)
    doc.sha256 = hashlib.sha256(data).hexdigest()
    doc.version += 1
    doc.status = DocumentStatus.queued
    doc.progress = 0.0
    doc.error = None
    file = (
        await db.execute(select(DocumentFile).where(DocumentFile.document_id == doc.id))  # type: ignore[arg-type]
    ).scalar_one()
    file.data = data
    await db.flush()
    return doc


def index_after_commit(platform: Platform, db: AsyncSession, doc: Document) -> None:
    """Queue the document's indexing once its row is committed, so the worker always finds it."""
    job_key, creator_id, document_id, version = f"ingest:{doc.id}:{doc.version}", doc.creator_id, doc.id, doc.version
    after_commit(
        db,
        lambda: platform.services.jobs.enqueue(
            "ingest_document",
            key=job_key,
            creator_id=str(creator_id),
            document_id=str(document_id),
            version=version,
        ),
    )


async def edit(db: AsyncSession, document_id: uuid.UUID, data: DocumentPatch) -> Document:
    doc = await get(db, document_id, lock=True)
    if data.title is not None:
        doc.title = data.title
    if data.tags is not None:
        doc.tags = clean_tags(data.tags)
    await db.flush()
    return doc


PASSAGES_BEFORE = 5  # passages shown before the one a citation opens at


async def passages(
    db: AsyncSession, document_id: uuid.UUID, *, offset: int, limit: int, around: uuid.UUID | None
) -> PassagesOut:
    """A document's passages in reading order; `around` (a passage id, as citations carry) opens the window a
    few passages before that one."""
    await get(db, document_id)
    if around is not None:
        ordinal = (
            await db.execute(select(Chunk.ordinal).where(Chunk.id == around, Chunk.document_id == document_id))  # type: ignore[call-overload,arg-type]
        ).scalar_one_or_none()
        if ordinal is None:
            raise NotFound("That passage is not in this document (it may have been re-indexed)")
        offset = max(0, ordinal - PASSAGES_BEFORE)
    total = (
        await db.execute(select(func.count()).select_from(Chunk).where(Chunk.document_id == document_id))  # type: ignore[arg-type]
    ).scalar_one()
    rows = await db.execute(
        select(Chunk.id, Chunk.ordinal, Chunk.text, Chunk.location)  # type: ignore[call-overload]
        .where(Chunk.document_id == document_id)
        .order_by(Chunk.ordinal)
        .offset(offset)
        .limit(limit)
    )
    items = [PassageOut(id=r.id, ordinal=r.ordinal, text=r.text, location=dict(r.location or {})) for r in rows]
    return PassagesOut(total=int(total), offset=offset, passages=items)


async def chunk_ids(db: AsyncSession, document_id: uuid.UUID) -> list[str]:
    rows = await db.execute(select(Chunk.id).where(Chunk.document_id == document_id))  # type: ignore[call-overload]
    return [str(r[0]) for r in rows]


async def remove(db: AsyncSession, vectors: VectorStore, doc: Document) -> None:
    """Rows go with the transaction; vectors go first so a failure leaves rows to retry from, never orphans."""
    ids = await chunk_ids(db, doc.id)
    await vectors.delete(doc.creator_id, ids)
    await db.execute(delete(Document).where(Document.id == doc.id))  # type: ignore[arg-type]
    await db.flush()


async def delete_document(platform: Platform, db: AsyncSession, document_id: uuid.UUID) -> None:
    doc = await get(db, document_id, lock=True)
    await remove(db, platform.services.vectors, doc)
    await refresh_stats(db, doc.creator_id)
