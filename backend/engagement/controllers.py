"""HTTP for engagement: behaviour events (members and the creator's systems), custom event types, triggers
(CRUD, preview), one evaluation pass on demand, and the decision log."""

from __future__ import annotations

import functools
import uuid
from typing import Annotated, Any

from litestar import Controller, Response, delete, get, post, put
from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler
from litestar.params import FromPath, JSONBody, QueryParameter

from backend.engagement import jobs, preview, service
from backend.engagement.scheduler import evaluate
from backend.engagement.schemas import (
    BehaviourEventIn,
    DecisionLog,
    EventAccepted,
    EventTypeIn,
    EventTypeOut,
    PassOut,
    PreviewOut,
    TriggerIn,
    TriggerList,
    TriggerOut,
    decision_out,
    event_type_out,
    trigger_out,
)
from backend.lib.db import after_commit
from backend.lib.deps import Caller, Db, Plat
from backend.lib.errors import Conflict
from backend.lib.openapi import errors
from backend.lib.principal import Principal, any_principal, min_role, require_role
from common.enums import DecisionOutcome, PrincipalKind, Role


async def member_or_editor(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    """Members report their own events; staff (editor or higher) report any member's."""
    await any_principal(connection, _)
    principal = connection.user
    if isinstance(principal, Principal) and principal.kind is not PrincipalKind.member:
        require_role(connection, Role.editor)


class EventsController(Controller):
    path = "/api/v1/events"
    tags = ["engagement"]

    @post(
        "/",
        guards=[member_or_editor],
        status_code=202,
        responses=errors(404, s404="No such member in this workspace"),
    )
    async def report(self, data: JSONBody[BehaviourEventIn], db: Db, principal: Caller) -> Response[EventAccepted]:
        """Report what a member did (`at` may be up to 30 days back). The same `id` twice is stored once."""
        client_id, stored = await service.record_event(db, principal, data)
        return Response(EventAccepted(id=client_id, stored=stored), status_code=202)


class EngagementController(Controller):
    path = "/api/v1/engagement"
    tags = ["engagement"]
    guards = [min_role(Role.viewer)]

    @get("/event-types")
    async def list_event_types(self, db: Db) -> list[EventTypeOut]:
        return [event_type_out(t) for t in await service.event_types(db)]

    @put("/event-types", guards=[min_role(Role.editor)])
    async def declare_event_type(self, data: JSONBody[EventTypeIn], db: Db, principal: Caller) -> EventTypeOut:
        """Declare a custom event name with the JSON Schema its properties must match (replaces its schema)."""
        return event_type_out(await service.declare_event_type(db, principal.creator_id, data))

    @get("/triggers")
    async def list_triggers(self, db: Db) -> TriggerList:
        return TriggerList(triggers=[trigger_out(t) for t in await service.triggers(db)])

    @post("/triggers", guards=[min_role(Role.editor)], status_code=201)
    async def create_trigger(self, data: JSONBody[TriggerIn], db: Db, platform: Plat, principal: Caller) -> TriggerOut:
        """A trigger: when (kind, params), whom (audience), what (action), and its limits."""
        row = await service.create_trigger(db, principal.creator_id, data)
        if row.enabled:
            after_commit(db, functools.partial(jobs.kick, platform))
        return trigger_out(row)

    @get("/triggers/{trigger_id:uuid}")
    async def read_trigger(self, trigger_id: FromPath[uuid.UUID], db: Db) -> TriggerOut:
        return trigger_out(await service.trigger(db, trigger_id))

    @put("/triggers/{trigger_id:uuid}", guards=[min_role(Role.editor)])
    async def update_trigger(
        self, trigger_id: FromPath[uuid.UUID], data: JSONBody[TriggerIn], db: Db, platform: Plat
    ) -> TriggerOut:
        row = await service.update_trigger(db, trigger_id, data)
        if row.enabled:
            after_commit(db, functools.partial(jobs.kick, platform))
        return trigger_out(row)

    @delete("/triggers/{trigger_id:uuid}", guards=[min_role(Role.editor)], status_code=204)
    async def delete_trigger(self, trigger_id: FromPath[uuid.UUID], db: Db) -> None:
        await service.delete_trigger(db, trigger_id)

    @post("/triggers/{trigger_id:uuid}/preview", status_code=200)
    async def preview_trigger(self, trigger_id: FromPath[uuid.UUID], db: Db) -> PreviewOut:
        """Who would receive this trigger now, and who would be held back and why (nothing is written)."""
        return await preview.preview(db, await service.trigger(db, trigger_id))

    @post(
        "/evaluate",
        guards=[min_role(Role.admin)],
        status_code=200,
        responses=errors(409, s409="A pass of this workspace is running"),
    )
    async def evaluate_now(self, db: Db, platform: Plat, principal: Caller) -> PassOut:
        """Run one evaluation pass of this workspace now (the worker runs them on its own every minute)."""
        stats = await evaluate(platform, db, principal.creator_id)
        if stats.busy:
            raise Conflict("An evaluation of this workspace is running; try again in a moment")
        return PassOut(found=stats.found, decided=stats.decided)

    @get("/log")
    async def decision_log(
        self,
        db: Db,
        trigger_id: Annotated[uuid.UUID | None, QueryParameter(description="only this trigger's decisions")] = None,
        member_id: Annotated[uuid.UUID | None, QueryParameter(description="only this member's decisions")] = None,
        outcome: Annotated[DecisionOutcome | None, QueryParameter(description="only this outcome")] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=1000)] = 200,
    ) -> DecisionLog:
        """Every decision the scheduler took, newest first, with its reason."""
        rows = await service.log(db, trigger_id, member_id, outcome.value if outcome else None, limit)
        return DecisionLog(decisions=[decision_out(d) for d in rows])
