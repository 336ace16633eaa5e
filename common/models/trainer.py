"""The trainer: the creator's gold questions, evaluation runs with their results, and corrections."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, Column, DateTime, Float, Index, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field

from common.enums import EvaluationStatus
from common.models.base import TenantTable, created_at_field


class GoldQuestion(TenantTable, table=True):
    """A question with the answer the creator would give, and optionally the document it must cite."""

    __tablename__ = "gold_questions"
    question: str = Field(sa_column=Column(Text, nullable=False))
    answer: str = Field(sa_column=Column(Text, nullable=False))
    must_cite_document_id: uuid.UUID | None = Field(default=None, foreign_key="documents.id", ondelete="SET NULL")
    created_by: uuid.UUID | None = Field(default=None)
    created_at: datetime = created_at_field()


class Evaluation(TenantTable, table=True):
    """One run of the gold set through the real chat turn, scored; its summary is one point of the scorecard."""

    __tablename__ = "evaluations"
    __table_args__ = (Index("ix_evaluations_creator_created", "creator_id", "created_at"),)
    status: EvaluationStatus = Field(sa_column=Column(String(16), nullable=False))
    progress: float = Field(default=0.0, sa_column=Column(Float, nullable=False, server_default="0"))
    persona_version: int | None = Field(default=None, sa_column=Column(Integer))  # asked for; null: what members hear
    evaluated_version: int | None = Field(default=None, sa_column=Column(Integer))  # the version that spoke
    mode: str | None = Field(default=None, max_length=16)  # llm | extractive | mixed
    total: int = Field(default=0, sa_column=Column(Integer, nullable=False, server_default="0"))
    summary: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSONB, nullable=False))
    error: str | None = Field(default=None, sa_column=Column(Text))
    requested_by: uuid.UUID | None = Field(default=None)
    created_at: datetime = created_at_field()
    finished_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))


class EvaluationResult(TenantTable, table=True):
    """One gold question's outcome in a run: the reply members would have got, and its scores."""

    __tablename__ = "evaluation_results"
    __table_args__ = (UniqueConstraint("evaluation_id", "position"),)
    evaluation_id: uuid.UUID = Field(foreign_key="evaluations.id", index=True, ondelete="CASCADE")
    gold_id: uuid.UUID | None = Field(default=None, foreign_key="gold_questions.id", ondelete="SET NULL")
    position: int = Field(sa_column=Column(Integer, nullable=False))
    question: str = Field(sa_column=Column(Text, nullable=False))
    expected: str = Field(sa_column=Column(Text, nullable=False))
    answered: bool = Field(sa_column=Column(Boolean, nullable=False))
    cited_ok: bool = Field(sa_column=Column(Boolean, nullable=False))
    similarity: float = Field(sa_column=Column(Float, nullable=False))
    style: float | None = Field(default=None, sa_column=Column(Float))
    reply: str = Field(sa_column=Column(Text, nullable=False))
    mode: str = Field(max_length=16)
    citations: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSONB, nullable=False))
    created_at: datetime = created_at_field()


class Correction(TenantTable, table=True):
    """The answer the creator would have given to a question; once approved, chat prefers it for that
    question and its paraphrases."""

    __tablename__ = "corrections"
    __table_args__ = (Index("ix_corrections_creator_approved", "creator_id", "approved"),)
    message_id: uuid.UUID | None = Field(default=None, foreign_key="messages.id", ondelete="SET NULL")
    question: str = Field(sa_column=Column(Text, nullable=False))
    answer: str = Field(sa_column=Column(Text, nullable=False))
    approved: bool = Field(default=False, sa_column=Column(Boolean, nullable=False, server_default="false"))
    question_vector: bytes = Field(sa_column=Column(LargeBinary, nullable=False))  # MiniLM, float32
    proposed_by: uuid.UUID | None = Field(default=None)
    approved_by: uuid.UUID | None = Field(default=None)
    approved_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    created_at: datetime = created_at_field()
