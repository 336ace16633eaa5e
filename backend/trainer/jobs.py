"""An evaluation run on the job queue: each gold question through the real chat turn, scored.

The turn is the one members get (retrieval, the grounding decision, corrections, the LLM or the extractive
reply), spoken by the persona version under evaluation. Its conversation is deleted once scored: the run
keeps the reply and its citations in its own results, and the creator's playground stays theirs. Each
question is committed with the run's progress, so the hub shows the run advancing and a worker that dies
mid-run is resumed (the job is retried) from the first question without a result.
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime
from typing import Any

import numpy as np
import structlog
from sqlalchemy import delete, select
from sqlmodel import col

from backend.lib.platform import Platform
from backend.lib.principal import Principal
from backend.lib.tenancy import TenantContext
from backend.trainer.corrections import MODE as CORRECTION_MODE
from backend.trainer.service import gold_set, summarize
from backend.twin import service as twin_service
from backend.twin.chat import TurnResult, run_turn
from backend.twin.style import style_distance
from common.enums import EvaluationStatus, PrincipalKind, Role
from common.models import Conversation, Evaluation, EvaluationResult, GoldQuestion

log = structlog.get_logger()
_MARKERS = re.compile(r"\[(?:S)?\d+\]")


def modes(seen: set[str]) -> str | None:
    kinds = seen - {CORRECTION_MODE, "safety"}
    return next(iter(kinds)) if len(kinds) == 1 else ("mixed" if kinds else (next(iter(seen), None)))


async def _similarity(platform: Platform, reply: str, expected: str) -> float:
    """Closeness in meaning of the reply (citation markers and quote marks removed) to the gold answer."""
    text = _MARKERS.sub("", reply).replace("“", "").replace("”", "").strip()
    if not text:
        return 0.0
    embedder = platform.services.embedder
    a = await embedder.encode_one(text, urgent=False)
    b = await embedder.encode_one(expected, urgent=False)
    cos = float(np.dot(a, b) / max(float(np.linalg.norm(a) * np.linalg.norm(b)), 1e-12))
    return round(max(0.0, cos), 3)


def _scores(turn: TurnResult, gold: GoldQuestion) -> tuple[bool, bool]:
    answered = turn.grounded and turn.safety is None and bool(turn.reply.strip())
    if gold.must_cite_document_id is not None:
        cited = any(c.get("document_id") == str(gold.must_cite_document_id) for c in turn.citations)
    else:
        cited = answered and bool(turn.citations)
    return answered, cited


async def run_evaluation(ctx: dict[str, Any], *, creator_id: str, evaluation_id: str) -> None:
    platform: Platform = ctx["platform"]
    cid, eid = uuid.UUID(creator_id), uuid.UUID(evaluation_id)
    tenant = TenantContext(cid)
    async with platform.db.session(tenant) as db:
        run = await db.get(Evaluation, eid)
        if run is None or run.status in (EvaluationStatus.done, EvaluationStatus.failed):
            return  # deleted workspace, or a duplicate of a finished job
        gold = await gold_set(db)
        requester = run.requested_by
        try:
            persona = await twin_service.for_evaluation(db, cid, run.persona_version)
        except Exception as exc:  # the version was deleted since the run was queued
            await _fail(platform, tenant, eid, str(getattr(exc, "detail", exc)))
            return
        stored = list(
            (await db.execute(select(EvaluationResult).where(col(EvaluationResult.evaluation_id) == eid))).scalars()
        )
        run.status, run.total, run.evaluated_version = EvaluationStatus.running, len(gold), persona.version
        run.progress = len(stored) / max(1, len(gold))
        await db.commit()
    if requester is None:
        await _fail(platform, tenant, eid, "The person who started this evaluation is no longer in the workspace")
        return
    principal = Principal(PrincipalKind.staff, requester, cid, Role.viewer, uuid.uuid4(), 0)
    done = {r.position for r in stored}
    seen_modes = {r.mode for r in stored if r.answered}
    try:
        for position, question in enumerate(gold):
            if position in done:
                continue
            with twin_service.speaking_as(persona):
                turn = await run_turn(platform, principal, question.question)
            answered, cited = _scores(turn, question)
            similarity = await _similarity(platform, turn.reply, question.answer)
            style = None
            if persona.profile_obj is not None and turn.reply.strip():
                style = round(1.0 - style_distance(persona.profile_obj.voice, _MARKERS.sub("", turn.reply)), 3)
            mode = "safety" if turn.safety else turn.mode
            if answered:  # a refusal is worded the same in every mode: it says nothing of the run's mode
                seen_modes.add(mode)
            async with platform.db.session(tenant) as db:
                db.add(
                    EvaluationResult(
                        creator_id=cid,
                        evaluation_id=eid,
                        gold_id=question.id,
                        position=position,
                        question=question.question,
                        expected=question.answer,
                        answered=answered,
                        cited_ok=cited,
                        similarity=similarity,
                        style=style,
                        reply=turn.reply,
                        mode=mode,
                        citations=turn.citations,
                    )
                )
                # The turn's conversation served the run only: its reply and citations are kept above.
                await db.execute(delete(Conversation).where(col(Conversation.id) == turn.conversation_id))
                run = await db.get(Evaluation, eid)
                if run is None:  # the workspace went away mid-run
                    return
                run.progress, run.mode = round((position + 1) / max(1, len(gold)), 3), modes(seen_modes)
                await db.commit()
        async with platform.db.session(tenant) as db:
            results = list(
                (await db.execute(select(EvaluationResult).where(col(EvaluationResult.evaluation_id) == eid))).scalars()
            )
            run = await db.get(Evaluation, eid)
            if run is None:
                return
            run.summary = {**_summary_dict(results)}
            run.status, run.progress, run.finished_at = EvaluationStatus.done, 1.0, datetime.now(UTC)
            await db.commit()
    except Exception:
        log.exception("evaluation_failed", creator_id=creator_id, evaluation_id=evaluation_id)
        await _fail(platform, tenant, eid, "The evaluation failed unexpectedly; run it again.")


def _summary_dict(results: list[EvaluationResult]) -> dict[str, Any]:
    s = summarize(results)
    return {
        "count": s.count,
        "answered_rate": s.answered_rate,
        "cited_rate": s.cited_rate,
        "mean_similarity": s.mean_similarity,
        "mean_style": s.mean_style,
    }


async def _fail(platform: Platform, tenant: TenantContext, eid: uuid.UUID, error: str) -> None:
    async with platform.db.session(tenant) as db:
        run = await db.get(Evaluation, eid)
        if run is not None:
            run.status, run.error, run.finished_at = EvaluationStatus.failed, error, datetime.now(UTC)
            await db.commit()
