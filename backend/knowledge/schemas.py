from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

import msgspec

from common.enums import DocumentStatus
from common.models import Document


class DocumentOut(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    title: str
    filename: str
    kind: str
    status: DocumentStatus
    progress: float
    chunk_count: int
    error: str | None
    tags: list[str]
    version: int
    size_bytes: int
    created_at: datetime
    updated_at: datetime


class AcceptedOut(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    status: DocumentStatus


class DocumentPatch(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    title: Annotated[str, msgspec.Meta(min_length=1, max_length=300)] | None = None
    # Each tag is trimmed, lower-cased and cut to 64 characters, empty ones dropped (service.clean_tags).
    tags: Annotated[list[str], msgspec.Meta(max_length=20)] | None = None


class SearchResult(msgspec.Struct, kw_only=True):
    text: str
    score: float
    document_id: uuid.UUID
    document_title: str
    location: dict[str, Any]
    chunk_id: uuid.UUID


class SearchOut(msgspec.Struct, kw_only=True):
    query: str
    mode: str
    results: list[SearchResult]


class PassageOut(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    ordinal: int
    text: str
    location: dict[str, Any]


class PassagesOut(msgspec.Struct, kw_only=True):
    """A window of a document's passages in reading order (`offset` of `total`)."""

    total: int
    offset: int
    passages: list[PassageOut]


def document_out(doc: Document) -> DocumentOut:
    return DocumentOut(
        id=doc.id,
        title=doc.title,
        filename=doc.filename,
        kind=doc.kind,
        status=DocumentStatus(doc.status),
        progress=round(doc.progress, 3),
        chunk_count=doc.chunk_count,
        error=doc.error,
        tags=list(doc.tags or []),
        version=doc.version,
        size_bytes=doc.size_bytes,
        created_at=doc.created_at,
        updated_at=doc.updated_at,
    )
