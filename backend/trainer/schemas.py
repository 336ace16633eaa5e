"""Request and response bodies of the trainer: gold set, evaluations and the scorecard, corrections."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

import msgspec

from common.enums import EvaluationStatus

Question = Annotated[str, msgspec.Meta(min_length=1, max_length=2000)]
Answer = Annotated[str, msgspec.Meta(min_length=1, max_length=8000)]


class GoldIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    question: Question
    answer: Answer  # the answer the creator would give
    must_cite_document_id: uuid.UUID | None = None  # the document a right answer cites


class GoldOut(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    question: str
    answer: str
    must_cite_document_id: uuid.UUID | None
    created_at: datetime


class GoldProposal(msgspec.Struct, kw_only=True):
    """A starter gold question drawn from the persona: a theme's question, answered by its principle."""

    question: str
    answer: str
    must_cite_document_id: uuid.UUID | None
    theme: str


class EvaluationIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    # The persona version to evaluate; without it, the one members hear (the approved one, else the newest).
    persona_version: Annotated[int, msgspec.Meta(ge=1)] | None = None


class EvaluationCreated(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    status: EvaluationStatus


class Summary(msgspec.Struct, kw_only=True):
    """Over the questions scored so far (all of them once the run is done)."""

    count: int
    answered_rate: float  # share answered (grounded, not refused)
    cited_rate: float  # share citing the required document (or, without one, citing a source at all)
    mean_similarity: float  # mean closeness in meaning (MiniLM cosine, 0..1) of the reply to the gold answer
    mean_style: float | None  # mean persona consistency of the replies' style (0..1), when a persona spoke


class ResultOut(msgspec.Struct, kw_only=True):
    gold_id: uuid.UUID | None  # null once the gold question was deleted
    question: str
    expected: str
    answered: bool
    cited_ok: bool
    similarity: float
    style: float | None
    reply: str
    mode: str  # llm | extractive | correction | safety
    citations: list[dict[str, Any]]


class EvaluationRef(msgspec.Struct, kw_only=True):
    """One point of the scorecard."""

    id: uuid.UUID
    status: EvaluationStatus  # queued -> running -> done | failed
    progress: float  # 0..1
    persona_version: int | None
    evaluated_version: int | None
    mode: str | None
    total: int
    created_at: datetime
    finished_at: datetime | None
    summary: Summary


class EvaluationOut(EvaluationRef, kw_only=True):
    """A run with its results per question (the reply members would have got, and its citations)."""

    error: str | None
    results: list[ResultOut]


class CorrectionIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    question: Question
    answer: Answer  # the answer the creator would have given, in their own words
    message_id: uuid.UUID | None = None  # the twin reply being corrected
    approved: bool = False  # only an admin may create it approved


class CorrectionOut(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    approved: bool
    question: str
    answer: str
    message_id: uuid.UUID | None
    proposed_by: uuid.UUID | None
    approved_by: uuid.UUID | None
    approved_at: datetime | None
    created_at: datetime
