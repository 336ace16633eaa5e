"""HTTP endpoints of the trainer: /api/v1/twin/gold, /evaluations, /corrections.

Viewers read; editors keep the gold set, run evaluations and propose corrections; admins approve them.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from litestar import Controller, Response, delete, get, post, put
from litestar.background_tasks import BackgroundTask
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter

from backend.lib.deps import Caller, Db, Plat
from backend.lib.principal import min_role
from backend.trainer import corrections, service
from backend.trainer.schemas import (
    CorrectionIn,
    CorrectionOut,
    EvaluationCreated,
    EvaluationIn,
    EvaluationOut,
    EvaluationRef,
    GoldIn,
    GoldOut,
    GoldProposal,
)
from common.enums import Role


class TrainerController(Controller):
    path = "/api/v1/twin"
    tags = ["trainer"]
    guards = [min_role(Role.viewer)]

    # ---- gold set -----------------------------------------------------------------------------------------

    @get("/gold")
    async def list_gold(self, db: Db) -> list[GoldOut]:
        """The gold set: questions with the answer the creator would give."""
        return [service.gold_out(g) for g in await service.gold_set(db)]

    @post("/gold", guards=[min_role(Role.editor)], status_code=201)
    async def add_gold(self, data: JSONBody[GoldIn], db: Db, principal: Caller) -> GoldOut:
        """Add a gold question (409 when the set is full; 422 for a document not in this workspace)."""
        return service.gold_out(await service.add_gold(db, principal, data))

    @put("/gold/{gold_id:uuid}", guards=[min_role(Role.editor)])
    async def edit_gold(self, gold_id: FromPath[uuid.UUID], data: JSONBody[GoldIn], db: Db) -> GoldOut:
        return service.gold_out(await service.update_gold(db, gold_id, data))

    @delete("/gold/{gold_id:uuid}", guards=[min_role(Role.editor)], status_code=204)
    async def delete_gold(self, gold_id: FromPath[uuid.UUID], db: Db) -> None:
        await service.delete_gold(db, gold_id)

    @get("/gold/proposals", guards=[min_role(Role.editor)])
    async def proposals(self, db: Db, platform: Plat) -> list[GoldProposal]:
        """A starter gold set drawn from the persona's principles, to edit before adding (409 before any
        persona is synthesized). Nothing is saved."""
        return await service.propose_gold(platform, db)

    # ---- evaluations --------------------------------------------------------------------------------------

    @post("/evaluations", guards=[min_role(Role.editor)], status_code=202)
    async def evaluate(
        self, db: Db, platform: Plat, principal: Caller, data: JSONBody[EvaluationIn | None] = None
    ) -> Response[EvaluationCreated]:
        """Run the gold set through the twin on the job queue (409 with an empty gold set; 404 for an
        unknown persona version). Follow it with GET /evaluations/{id}."""
        run = await service.start_evaluation(db, principal, data.persona_version if data else None)
        queued = BackgroundTask(  # after the response, i.e. after the commit: the worker finds the run
            platform.services.jobs.enqueue,
            "run_evaluation",
            key=f"evaluation:{run.id}",
            creator_id=str(principal.creator_id),
            evaluation_id=str(run.id),
        )
        return Response(EvaluationCreated(id=run.id, status=run.status), status_code=202, background=queued)

    @get("/evaluations")
    async def scorecard(self, db: Db, limit: Annotated[int, QueryParameter(ge=1, le=200)] = 50) -> list[EvaluationRef]:
        """Evaluation runs, newest first, each with its summary: the scorecard over time."""
        return await service.scorecard(db, limit)

    @get("/evaluations/{evaluation_id:uuid}")
    async def evaluation(self, evaluation_id: FromPath[uuid.UUID], db: Db) -> EvaluationOut:
        """A run's status and progress, its results per question (reply and citations) and its summary."""
        return await service.evaluation(db, evaluation_id)

    # ---- corrections --------------------------------------------------------------------------------------

    @get("/corrections")
    async def list_corrections(
        self,
        db: Db,
        approved: FromQuery[bool | None] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=500)] = 100,
    ) -> list[CorrectionOut]:
        return [service.correction_out(c) for c in await service.corrections(db, approved, limit)]

    @post("/corrections", guards=[min_role(Role.editor)], status_code=201)
    async def propose(self, data: JSONBody[CorrectionIn], db: Db, platform: Plat, principal: Caller) -> CorrectionOut:
        """Propose the answer the creator would have given (403 when an editor asks for `approved`; 404 for
        an unknown message). Only approved corrections are used by chat."""
        row = await service.propose_correction(platform, db, principal, data)
        out = service.correction_out(row)
        if row.approved:
            await self._committed(db, platform, principal.creator_id)
        return out

    @post("/corrections/{correction_id:uuid}/approve", guards=[min_role(Role.admin)], status_code=200)
    async def approve(
        self, correction_id: FromPath[uuid.UUID], db: Db, platform: Plat, principal: Caller
    ) -> CorrectionOut:
        """Approve a correction: from now on chat answers its question (and paraphrases) with it."""
        out = service.correction_out(await service.approve_correction(db, principal, correction_id))
        await self._committed(db, platform, principal.creator_id)
        return out

    @delete("/corrections/{correction_id:uuid}", guards=[min_role(Role.editor)], status_code=204)
    async def delete_correction(
        self, correction_id: FromPath[uuid.UUID], db: Db, platform: Plat, principal: Caller
    ) -> None:
        """Admins delete any correction; editors their own proposals not yet approved (403 otherwise)."""
        if await service.delete_correction(db, principal, correction_id):
            await self._committed(db, platform, principal.creator_id)

    @staticmethod
    async def _committed(db: Db, platform: Plat, creator_id: uuid.UUID) -> None:
        # Chat must never answer from the old set once this answer is out: commit now, then tell every
        # process's cache (the request boundary's commit that follows has nothing left to do).
        await db.commit()
        await corrections.changed(platform, creator_id)
