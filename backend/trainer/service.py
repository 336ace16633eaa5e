"""The trainer's logic and queries: the gold set, evaluation runs and the scorecard, corrections.

Services flush; the request boundary commits (backend/lib/deps.py). Everything runs in the caller's tenant
session, so RLS keeps each workspace's gold set, runs and corrections to itself.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from backend.lib.db import after_commit
from backend.lib.errors import Conflict, Forbidden, InvalidInput, NotFound
from backend.lib.platform import Platform
from backend.lib.principal import Principal
from backend.trainer import corrections as chat_corrections
from backend.trainer.corrections import to_bytes
from backend.trainer.schemas import (
    CorrectionIn,
    CorrectionOut,
    EvaluationOut,
    EvaluationRef,
    GoldIn,
    GoldOut,
    GoldProposal,
    ResultOut,
    Summary,
)
from backend.twin import service as twin_service
from backend.twin.persona import PersonaProfile
from common.enums import EvaluationStatus, Role
from common.models import Chunk, Correction, Document, Evaluation, EvaluationResult, GoldQuestion, Message, Persona

MAX_GOLD = 200  # questions in one gold set: a run takes about a second a question offline


# ---- gold set ---------------------------------------------------------------------------------------------


def gold_out(g: GoldQuestion) -> GoldOut:
    return GoldOut(
        id=g.id,
        question=g.question,
        answer=g.answer,
        must_cite_document_id=g.must_cite_document_id,
        created_at=g.created_at,
    )


async def _document_exists(db: AsyncSession, document_id: uuid.UUID) -> None:
    if (await db.get(Document, document_id)) is None:  # RLS: another workspace's document is not found either
        raise InvalidInput("must_cite_document_id: no such document in this workspace")


async def add_gold(db: AsyncSession, principal: Principal, data: GoldIn) -> GoldQuestion:
    count = (await db.execute(select(func.count()).select_from(GoldQuestion))).scalar_one()
    if count >= MAX_GOLD:
        raise Conflict(f"A gold set holds at most {MAX_GOLD} questions; delete some first")
    if data.must_cite_document_id is not None:
        await _document_exists(db, data.must_cite_document_id)
    row = GoldQuestion(
        creator_id=principal.creator_id,
        question=data.question.strip(),
        answer=data.answer.strip(),
        must_cite_document_id=data.must_cite_document_id,
        created_by=principal.subject_id,
    )
    db.add(row)
    await db.flush()
    return row


async def gold_set(db: AsyncSession) -> list[GoldQuestion]:
    rows = await db.execute(select(GoldQuestion).order_by(col(GoldQuestion.created_at), col(GoldQuestion.id)))
    return list(rows.scalars())


async def update_gold(db: AsyncSession, gold_id: uuid.UUID, data: GoldIn) -> GoldQuestion:
    row = await db.get(GoldQuestion, gold_id)
    if row is None:
        raise NotFound("Gold question not found")
    if data.must_cite_document_id is not None:
        await _document_exists(db, data.must_cite_document_id)
    row.question, row.answer = data.question.strip(), data.answer.strip()
    row.must_cite_document_id = data.must_cite_document_id
    await db.flush()
    return row


async def delete_gold(db: AsyncSession, gold_id: uuid.UUID) -> None:
    result = await db.execute(delete(GoldQuestion).where(col(GoldQuestion.id) == gold_id))
    if not result.rowcount:  # type: ignore[attr-defined]
        raise NotFound("Gold question not found")


async def propose_gold(platform: Platform, db: AsyncSession) -> list[GoldProposal]:
    """A starter gold set from the persona: for each principle, a question about its theme that the
    principle answers, citing the document it comes from. The creator edits them before adding."""
    row = await twin_service.approved(db) or await twin_service.latest(db)
    if row is None or not row.profile:
        raise Conflict("Synthesize the persona first: the starter questions come from its principles")
    profile = PersonaProfile.from_dict(row.profile)
    phrases = {t.label: (t.key_phrases or [t.label.lower()])[0] for t in profile.themes}
    chunk_ids = [uuid.UUID(p.passage_id) for p in profile.principle_sources if p.passage_id]
    documents: dict[uuid.UUID, uuid.UUID] = {}
    if chunk_ids:
        found = await db.execute(select(col(Chunk.id), col(Chunk.document_id)).where(col(Chunk.id).in_(chunk_ids)))
        documents = {r[0]: r[1] for r in found}
    out: list[GoldProposal] = []
    asked: set[str] = set()
    for source in profile.principle_sources:
        phrase = phrases.get(source.theme, source.theme.lower())
        question = await _member_question(platform, source.text, phrase)
        if question in asked:
            continue
        asked.add(question)
        out.append(
            GoldProposal(
                question=question,
                answer=source.text,
                must_cite_document_id=documents.get(uuid.UUID(source.passage_id)) if source.passage_id else None,
                theme=source.theme,
            )
        )
    return out


async def _member_question(platform: Platform, principle: str, phrase: str) -> str:
    """A question a member might ask that the principle answers: written by the model when it is there,
    else a plain question about the principle's theme."""
    plain = f"How should I think about {phrase}?"
    llm = platform.services.llm
    if (await llm.status()).mode != "llm":
        return plain
    prompt = [
        {"role": "system", "content": "You write one short question, in everyday modern words, that a person "
         "seeking coaching might ask and that the given principle answers. Output only the question."},
        {"role": "user", "content": f"Principle: {principle}"},
    ]  # fmt: skip
    try:
        text = str(await llm.chat(prompt)).strip().strip('"').splitlines()[0][:300]
    except Exception:  # the plain question stands in when the model fails
        return plain
    return text if text.endswith("?") else plain


# ---- evaluations ------------------------------------------------------------------------------------------


async def start_evaluation(
    platform: Platform, db: AsyncSession, principal: Principal, persona_version: int | None
) -> Evaluation:
    """A queued run of the current gold set; its job is queued once the run is committed (so the worker
    always finds it)."""
    total = (await db.execute(select(func.count()).select_from(GoldQuestion))).scalar_one()
    if total == 0:
        raise Conflict("Add gold questions first: an evaluation runs the gold set")
    if persona_version is not None:
        found = await db.execute(select(col(Persona.id)).where(col(Persona.version) == persona_version))
        if found.scalar_one_or_none() is None:
            raise NotFound(f"Persona version {persona_version} not found")
    row = Evaluation(
        creator_id=principal.creator_id,
        status=EvaluationStatus.queued,
        persona_version=persona_version,
        total=int(total),
        requested_by=principal.subject_id,
    )
    db.add(row)
    await db.flush()
    run_id = str(row.id)
    after_commit(
        db,
        lambda: platform.services.jobs.enqueue(
            "run_evaluation", key=f"evaluation:{run_id}", creator_id=str(principal.creator_id), evaluation_id=run_id
        ),
    )
    return row


def summarize(results: list[EvaluationResult]) -> Summary:
    n = len(results)
    styles = [r.style for r in results if r.style is not None]
    return Summary(
        count=n,
        answered_rate=round(sum(r.answered for r in results) / n, 3) if n else 0.0,
        cited_rate=round(sum(r.cited_ok for r in results) / n, 3) if n else 0.0,
        mean_similarity=round(sum(r.similarity for r in results) / n, 3) if n else 0.0,
        mean_style=round(sum(styles) / len(styles), 3) if styles else None,
    )


def result_out(r: EvaluationResult) -> ResultOut:
    return ResultOut(
        gold_id=r.gold_id,
        question=r.question,
        expected=r.expected,
        answered=r.answered,
        cited_ok=r.cited_ok,
        similarity=r.similarity,
        style=r.style,
        reply=r.reply,
        mode=r.mode,
        citations=list(r.citations),
    )


async def evaluation(db: AsyncSession, evaluation_id: uuid.UUID) -> EvaluationOut:
    row = await db.get(Evaluation, evaluation_id)
    if row is None:
        raise NotFound("Evaluation not found")
    results = list(
        (
            await db.execute(
                select(EvaluationResult)
                .where(col(EvaluationResult.evaluation_id) == row.id)
                .order_by(col(EvaluationResult.position))
            )
        ).scalars()
    )
    return EvaluationOut(
        **_ref_fields(row, _stored_summary(row) or summarize(results)),
        error=row.error,
        results=[result_out(r) for r in results],
    )


def _ref_fields(row: Evaluation, summary: Summary) -> dict[str, Any]:
    return {
        "id": row.id,
        "status": row.status,
        "progress": row.progress,
        "persona_version": row.persona_version,
        "evaluated_version": row.evaluated_version,
        "mode": row.mode,
        "total": row.total,
        "created_at": row.created_at,
        "finished_at": row.finished_at,
        "summary": summary,
    }


def _stored_summary(row: Evaluation) -> Summary | None:
    s = row.summary
    if not s:
        return None
    return Summary(
        count=int(s["count"]),
        answered_rate=float(s["answered_rate"]),
        cited_rate=float(s["cited_rate"]),
        mean_similarity=float(s["mean_similarity"]),
        mean_style=s.get("mean_style"),
    )


async def scorecard(db: AsyncSession, limit: int) -> list[EvaluationRef]:
    """Runs, newest first, each with its summary: the scorecard over time."""
    rows = await db.execute(select(Evaluation).order_by(col(Evaluation.created_at).desc()).limit(limit))
    empty = Summary(count=0, answered_rate=0.0, cited_rate=0.0, mean_similarity=0.0, mean_style=None)
    return [EvaluationRef(**_ref_fields(row, _stored_summary(row) or empty)) for row in rows.scalars()]


# ---- corrections ------------------------------------------------------------------------------------------


def correction_out(c: Correction) -> CorrectionOut:
    return CorrectionOut(
        id=c.id,
        approved=c.approved,
        question=c.question,
        answer=c.answer,
        message_id=c.message_id,
        proposed_by=c.proposed_by,
        approved_by=c.approved_by,
        approved_at=c.approved_at,
        created_at=c.created_at,
    )


def _is_admin(principal: Principal) -> bool:
    return principal.role is not None and principal.role.at_least(Role.admin)


async def propose_correction(
    platform: Platform, db: AsyncSession, principal: Principal, data: CorrectionIn
) -> Correction:
    """Editors propose; an admin may create it approved at once."""
    if data.approved and not _is_admin(principal):
        raise Forbidden("Only an admin approves corrections; propose it without `approved`")
    if data.message_id is not None:
        message = await db.get(Message, data.message_id)
        if message is None:
            raise NotFound("Message not found")
        if message.role != "assistant":
            raise InvalidInput("message_id: a correction corrects one of the twin's replies")
    vector = await platform.services.embedder.encode_one(data.question.strip())
    now = datetime.now(UTC)
    row = Correction(
        creator_id=principal.creator_id,
        message_id=data.message_id,
        question=data.question.strip(),
        answer=data.answer.strip(),
        approved=data.approved,
        question_vector=to_bytes(vector),
        proposed_by=principal.subject_id,
        approved_by=principal.subject_id if data.approved else None,
        approved_at=now if data.approved else None,
    )
    db.add(row)
    await db.flush()
    if row.approved:
        _corrections_changed(platform, db, principal)
    return row


def _corrections_changed(platform: Platform, db: AsyncSession, principal: Principal) -> None:
    """Chat must never answer from the old set once the change is committed: every process reloads it."""
    after_commit(db, lambda: chat_corrections.changed(platform, principal.creator_id))


async def corrections(db: AsyncSession, approved: bool | None, limit: int) -> list[Correction]:
    query = select(Correction).order_by(col(Correction.created_at).desc()).limit(limit)
    if approved is not None:
        query = query.where(col(Correction.approved).is_(approved))
    return list((await db.execute(query)).scalars())


async def approve_correction(
    platform: Platform, db: AsyncSession, principal: Principal, correction_id: uuid.UUID
) -> Correction:
    row = await db.get(Correction, correction_id, with_for_update=True)
    if row is None:
        raise NotFound("Correction not found")
    if not row.approved:
        row.approved, row.approved_by, row.approved_at = True, principal.subject_id, datetime.now(UTC)
        await db.flush()
        _corrections_changed(platform, db, principal)
    return row


async def delete_correction(
    platform: Platform, db: AsyncSession, principal: Principal, correction_id: uuid.UUID
) -> None:
    """Admins delete any; an editor only their own proposal not yet approved."""
    row = await db.get(Correction, correction_id)
    if row is None:
        raise NotFound("Correction not found")
    if not _is_admin(principal) and (row.approved or row.proposed_by != principal.subject_id):
        raise Forbidden("Only an admin deletes an approved correction or another person's proposal")
    await db.delete(row)
    await db.flush()
    if row.approved:
        _corrections_changed(platform, db, principal)
