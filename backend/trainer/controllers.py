"""HTTP endpoints of the trainer: /api/v1/twin/gold, /evaluations, /corrections.

Viewers read; editors keep the gold set, run evaluations and propose corrections; admins approve them.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from litestar import Controller, delete, get, post, put
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter

from backend.lib.deps import Caller, Db, Plat
from backend.lib.openapi import errors
from backend.lib.principal import min_role
from backend.trainer import service
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

    @post("/gold", guards=[min_role(Role.editor)], status_code=201, responses=errors(409, s409="The gold set is full"))
    async def add_gold(self, data: JSONBody[GoldIn], db: Db, principal: Caller) -> GoldOut:
        """Add a gold question (409 when the set is full; 422 for a document not in this workspace)."""
        return service.gold_out(await service.add_gold(db, principal, data))

    @put("/gold/{gold_id:uuid}", guards=[min_role(Role.editor)])
    async def edit_gold(self, gold_id: FromPath[uuid.UUID], data: JSONBody[GoldIn], db: Db) -> GoldOut:
        return service.gold_out(await service.update_gold(db, gold_id, data))

    @delete("/gold/{gold_id:uuid}", guards=[min_role(Role.editor)], status_code=204)
    async def delete_gold(self, gold_id: FromPath[uuid.UUID], db: Db) -> None:
        await service.delete_gold(db, gold_id)

    @get(
        "/gold/proposals",
        guards=[min_role(Role.editor)],
        responses=errors(409, s409="No persona synthesized yet"),
    )
    async def proposals(self, db: Db, platform: Plat) -> list[GoldProposal]:
        """A starter gold set drawn from the persona's principles, to edit before adding (409 before any
        persona is synthesized). Nothing is saved."""
        return await service.propose_gold(platform, db)

    # ---- evaluations --------------------------------------------------------------------------------------

    @post(
        "/evaluations",
        guards=[min_role(Role.editor)],
        status_code=202,
        responses=errors(404, 409, s404="No such persona version", s409="The gold set is empty"),
    )
    async def evaluate(
        self, db: Db, platform: Plat, principal: Caller, data: JSONBody[EvaluationIn | None] = None
    ) -> EvaluationCreated:
        """Run the gold set through the twin on the job queue (409 with an empty gold set; 404 for an
        unknown persona version). Follow it with GET /evaluations/{id}."""
        run = await service.start_evaluation(platform, db, principal, data.persona_version if data else None)
        return EvaluationCreated(id=run.id, status=run.status)

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

    @post(
        "/corrections",
        guards=[min_role(Role.editor)],
        status_code=201,
        responses=errors(404, s404="No such message in this workspace"),
    )
    async def propose(self, data: JSONBody[CorrectionIn], db: Db, platform: Plat, principal: Caller) -> CorrectionOut:
        """Propose the answer the creator would have given (403 when an editor asks for `approved`; 404 for
        an unknown message). Only approved corrections are used by chat."""
        return service.correction_out(await service.propose_correction(platform, db, principal, data))

    @post("/corrections/{correction_id:uuid}/approve", guards=[min_role(Role.admin)], status_code=200)
    async def approve(
        self, correction_id: FromPath[uuid.UUID], db: Db, platform: Plat, principal: Caller
    ) -> CorrectionOut:
        """Approve a correction: from now on chat answers its question (and paraphrases) with it."""
        return service.correction_out(await service.approve_correction(platform, db, principal, correction_id))

    @delete("/corrections/{correction_id:uuid}", guards=[min_role(Role.editor)], status_code=204)
    async def delete_correction(
        self, correction_id: FromPath[uuid.UUID], db: Db, platform: Plat, principal: Caller
    ) -> None:
        """Admins delete any correction; editors their own proposals not yet approved (403 otherwise)."""
        await service.delete_correction(platform, db, principal, correction_id)
