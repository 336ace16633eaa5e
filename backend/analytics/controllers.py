"""HTTP for analytics: program outcomes (view, CSV, retention, experiments), twin quality, proactive uplift, the
overview, and a refresh on demand. Viewers read; editors start and stop experiments and refresh."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated

from litestar import Controller, Response, get, post
from litestar.params import FromPath, JSONBody, QueryParameter

from backend.analytics import experiments, service, views
from backend.analytics.rollups import refresh
from backend.analytics.schemas import (
    ExperimentIn,
    ExperimentList,
    ExperimentOut,
    Overview,
    ProgramAnalytics,
    RefreshOut,
    Retention,
    TwinQuality,
    Uplift,
)
from backend.lib.deps import Caller, Db
from backend.lib.errors import Conflict
from backend.lib.openapi import errors
from backend.lib.principal import min_role
from common.enums import Role

Version = Annotated[int | None, QueryParameter(ge=1, le=2_147_483_647, description="one published version")]
From = Annotated[date | None, QueryParameter(name="from", description="first enrollment day (UTC), inclusive")]
To = Annotated[date | None, QueryParameter(description="last enrollment day (UTC), inclusive")]
BAD_PERIOD = errors(422, s422="A parameter is invalid (a malformed date, `from` after `to`, a version out of range)")


class AnalyticsController(Controller):
    path = "/api/v1/analytics"
    tags = ["analytics"]
    guards = [min_role(Role.viewer)]

    @get("/overview", responses=BAD_PERIOD)
    async def overview(self, db: Db, from_: From = None, to: To = None) -> Overview:
        """Every program's enrolled, completion rate and adherence over members enrolled in the period."""
        return await views.overview(db, from_, to)

    @get("/programs/{program_id:uuid}", responses=BAD_PERIOD)
    async def program(
        self, program_id: FromPath[uuid.UUID], db: Db, version: Version = None, from_: From = None, to: To = None
    ) -> ProgramAnalytics:
        """Who does the work, where members drop off, whether their metrics improve (members enrolled in the
        period; every version pooled unless `version` is given)."""
        return await service.program_view(db, program_id, version, from_, to)

    @get("/programs/{program_id:uuid}/export.csv", responses=BAD_PERIOD, media_type="text/csv")
    async def export(
        self, program_id: FromPath[uuid.UUID], db: Db, version: Version = None, from_: From = None, to: To = None
    ) -> Response[str]:
        """The program view as CSV (`section,node_id,title,field,value,suppressed`); hidden cells are empty."""
        view = await service.program_view(db, program_id, version, from_, to)
        return Response(
            views.program_csv(view),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="program-{program_id}.csv"'},
        )

    @get("/programs/{program_id:uuid}/retention", responses=BAD_PERIOD)
    async def retention(
        self, program_id: FromPath[uuid.UUID], db: Db, version: Version = None, from_: From = None, to: To = None
    ) -> Retention:
        """Weekly cohorts by enrollment week: the share active in each following week."""
        return await service.retention(db, program_id, version, from_, to)

    @get("/programs/{program_id:uuid}/experiments")
    async def list_experiments(self, program_id: FromPath[uuid.UUID], db: Db) -> ExperimentList:
        """The program's experiments, newest first, each with its arms and its result so far."""
        return ExperimentList(
            experiments=[await experiments.result(db, x) for x in await experiments.listed(db, program_id)]
        )

    @post(
        "/programs/{program_id:uuid}/experiments",
        guards=[min_role(Role.editor)],
        status_code=201,
        responses=errors(409, s409="An experiment is already running on this program"),
    )
    async def start_experiment(
        self, program_id: FromPath[uuid.UUID], data: JSONBody[ExperimentIn], db: Db, principal: Caller
    ) -> ExperimentOut:
        """Start an A/B of two published versions: new enrollments get one of them at random (sticky per
        member), judged on the outcome chosen now."""
        x = await experiments.start(db, principal.creator_id, principal.subject_id, program_id, data)
        return await experiments.result(db, x)

    @post(
        "/programs/{program_id:uuid}/experiments/stop",
        guards=[min_role(Role.editor)],
        status_code=200,
        responses=errors(409, s409="No experiment is running on this program"),
    )
    async def stop_experiment(self, program_id: FromPath[uuid.UUID], db: Db) -> ExperimentOut:
        """Stop the running experiment: new enrollments get the published version again."""
        return await experiments.result(db, await experiments.stop(db, program_id))

    @get("/twin", responses=BAD_PERIOD)
    async def twin(self, db: Db, from_: From = None, to: To = None) -> TwinQuality:
        """The twin's replies to members in the period (UTC days): grounded and refused shares, by mode,
        thumbs, handoffs, safety flags, consistency by day."""
        return await views.twin_quality(db, from_, to)

    @get("/engagement/{trigger_id:uuid}")
    async def engagement(self, trigger_id: FromPath[uuid.UUID], db: Db) -> Uplift:
        """A trigger's contacted members vs its holdout: active again within 48 h, and the difference."""
        return await views.uplift(db, trigger_id)

    @post(
        "/refresh",
        guards=[min_role(Role.editor)],
        status_code=200,
        responses=errors(409, s409="A refresh of this workspace is running"),
    )
    async def refresh_now(self, db: Db, principal: Caller) -> RefreshOut:
        """Fold in what changed since the last refresh now (the worker does so on its own every 30 s)."""
        stats = await refresh(db, principal.creator_id)
        if stats.busy:
            raise Conflict("A refresh of this workspace is running; try again in a moment")
        return RefreshOut(
            marks=stats.marks,
            enrollments=stats.enrollments,
            days=stats.days,
            twin_days=stats.twin_days,
            contacts=stats.contacts,
        )
