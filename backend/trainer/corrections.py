"""Approved corrections in the chat turn: the creator's own answer to a question and its paraphrases.

Like Dify's annotation replies: when a member's question is close enough in meaning to a question the
creator answered themselves (and an admin approved the answer), the twin replies with that answer, quoted
and cited as the creator's own words, instead of composing one from passages. A question on another
subject never matches: the threshold (`correction_min_similarity`) sits above what different questions
on one subject score.

The turn already embeds the question; the approved corrections' question vectors are kept per process
(`TenantMemo`: one Redis GET a turn to know they are current) and compared with one matrix product.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from backend.lib.cache import TenantMemo
from backend.lib.platform import Platform
from common.enums import ReplyMode
from common.models import Correction

MODE = ReplyMode.correction  # the creator's own answer, not the model's or the book's


@dataclass(frozen=True)
class Approved:
    ids: list[uuid.UUID]
    questions: list[str]
    answers: list[str]
    vectors: np.ndarray  # one unit-length row per correction


@dataclass(frozen=True)
class CorrectionMatch:
    id: uuid.UUID
    question: str
    answer: str
    similarity: float

    def reply(self) -> str:
        return f"“{self.answer.strip()}” [1]"

    def citation(self, name: str) -> dict[str, Any]:
        return {
            "document_id": "",
            "document_title": f"{name}, in their own words",
            "location": {"correction_id": str(self.id)},
            "text": self.answer,
            "chunk_id": None,
            "source": "correction",
            "correction_id": str(self.id),
        }


_APPROVED: TenantMemo[Approved] = TenantMemo("corrections")


def to_bytes(vector: np.ndarray) -> bytes:
    return np.asarray(vector, dtype=np.float32).tobytes()


async def _load(db: AsyncSession) -> Approved:
    rows = (
        await db.execute(
            select(Correction.id, Correction.question, Correction.answer, Correction.question_vector)  # type: ignore[call-overload]
            .where(col(Correction.approved).is_(True))
            .order_by(col(Correction.approved_at))
        )
    ).all()
    vectors = np.stack([np.frombuffer(r[3], dtype=np.float32) for r in rows]) if rows else np.zeros((0, 0))
    if len(rows):
        vectors = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
    return Approved([r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows], vectors)


async def changed(platform: Platform, creator_id: uuid.UUID) -> None:
    """After committing an approval, an approved correction's change or its deletion."""
    await _APPROVED.changed(platform.redis, creator_id)


async def preferred_answer(
    platform: Platform, db: AsyncSession, creator_id: uuid.UUID, query_vector: Awaitable[np.ndarray] | None
) -> CorrectionMatch | None:
    """The approved correction whose question this turn's question paraphrases, if any."""
    if query_vector is None:
        return None
    approved = await _APPROVED.get(platform.redis, creator_id, "approved", lambda: _load(db))
    if not approved.ids:
        return None
    vector = np.asarray(await asyncio.shield(query_vector), dtype=np.float32).reshape(-1)
    sims = approved.vectors @ (vector / max(float(np.linalg.norm(vector)), 1e-12))
    best = int(np.argmax(sims))
    if float(sims[best]) < platform.settings.correction_min_similarity:
        return None
    return CorrectionMatch(approved.ids[best], approved.questions[best], approved.answers[best], float(sims[best]))
