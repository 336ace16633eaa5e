from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

import msgspec


class DocumentOut(msgspec.Struct):
    id: uuid.UUID
    title: str
    filename: str
    kind: str
    status: str
    progress: float
    chunk_count: int
    error: str | None
    tags: list[str]
    version: int
    size_bytes: int
    created_at: datetime
    updated_at: datetime


class AcceptedOut(msgspec.Struct):
    id: uuid.UUID
    status: str


class DocumentPatch(msgspec.Struct, forbid_unknown_fields=True):
    title: Annotated[str, msgspec.Meta(min_length=1, max_length=300)] | None = None
    # Each tag is trimmed, lower-cased and cut to 64 characters, empty ones dropped (documents.clean_tags).
    tags: Annotated[list[str], msgspec.Meta(max_length=20)] | None = None


class SearchResult(msgspec.Struct):
    text: str
    score: float
    document_id: uuid.UUID
    document_title: str
    location: dict[str, Any]
    chunk_id: uuid.UUID


class SearchOut(msgspec.Struct):
    query: str
    mode: str
    results: list[SearchResult]
