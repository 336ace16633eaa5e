"""A creator's knowledge: uploaded documents, their bytes, and the passages (chunks) cut from them."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Column, DateTime, Float, Integer, LargeBinary, String, Text, func
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlmodel import Field

from common.enums import DocumentStatus
from common.models.base import TenantTable, created_at_field, utcnow


class Document(TenantTable, table=True):
    __tablename__ = "documents"
    # Read `updated_at` back (RETURNING) when a write sets it: otherwise it is expired after a flush, and the
    # next read of it is lazy I/O outside the async context (the rename endpoint answered 500 MissingGreenlet).
    __mapper_args__ = {"eager_defaults": True}
    title: str = Field(max_length=300)
    filename: str = Field(max_length=300)
    kind: str = Field(max_length=8)  # pdf | docx | txt | md, detected from the content
    size_bytes: int
    sha256: str = Field(max_length=64)
    status: DocumentStatus = Field(sa_column=Column(String(16), nullable=False, index=True))
    progress: float = Field(default=0.0, sa_column=Column(Float, nullable=False, server_default="0"))
    chunk_count: int = Field(default=0, sa_column=Column(Integer, nullable=False, server_default="0"))
    error: str | None = Field(default=None, sa_column=Column(Text))
    tags: list[str] = Field(
        default_factory=list, sa_column=Column(ARRAY(String(64)), nullable=False, server_default="{}")
    )
    version: int = Field(default=1, sa_column=Column(Integer, nullable=False, server_default="1"))
    created_at: datetime = created_at_field()
    updated_at: datetime = Field(
        default_factory=utcnow,
        sa_column=Column(DateTime(timezone=True), nullable=False, server_default=func.now(), onupdate=func.now()),
    )


class DocumentFile(TenantTable, table=True):
    """The uploaded bytes, kept in PostgreSQL so any worker on any machine can (re)process them."""

    __tablename__ = "document_files"
    document_id: uuid.UUID = Field(foreign_key="documents.id", unique=True, ondelete="CASCADE")
    data: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


class Chunk(TenantTable, table=True):
    """A passage: its text (with a full-text vector kept by PostgreSQL) and where it came from."""

    __tablename__ = "chunks"
    document_id: uuid.UUID = Field(foreign_key="documents.id", index=True, ondelete="CASCADE")
    ordinal: int
    text: str = Field(sa_column=Column(Text, nullable=False))
    location: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSONB, nullable=False))
    token_count: int = 0
    # The passage's sentence vectors (float16, 384 each), pooled from its own forward pass: search re-ranks by them
    spans: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
