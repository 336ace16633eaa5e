"""Liveness, readiness (public, no internals) and diagnostics (the details, for workspace admins)."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get
from litestar.openapi.datastructures import ResponseSpec

from backend.health import service
from backend.health.access import may_see_details
from backend.lib.deps import Plat
from backend.lib.edge import EXCLUDE_FROM_AUTH
from backend.lib.principal import min_role
from common.enums import Role

PUBLIC = {EXCLUDE_FROM_AUTH: True}


class HealthController(Controller):
    path = "/health"
    tags = ["health"]
    include_in_schema = True

    @get("/", opt=PUBLIC)
    async def live(self) -> dict[str, str]:
        return {"status": "ok"}

    @get(
        "/ready",
        opt=PUBLIC,
        responses={
            503: ResponseSpec(data_container=dict[str, Any], description="Not ready: `checks` says what failed")
        },
    )
    async def ready(self, request: Request[Any, Any, Any], platform: Plat) -> Response[dict[str, Any]]:
        """Each part up or not (503 when a required one is down); the language model is optional. What failed
        and how (roles, paths, errors) only for monitoring (OPS_TOKEN) and workspace admins."""
        results = await service.probe(platform)
        body = service.public_summary(results)
        if await may_see_details(request):
            body["checks"] = results
        return Response(body, status_code=200 if body["status"] == "ok" else 503)


class DiagnosticsController(Controller):
    path = "/api/v1/diagnostics"
    tags = ["health"]
    guards = [min_role(Role.admin)]

    @get("/")
    async def diagnostics(self, platform: Plat) -> dict[str, Any]:
        """Every part's check with its details (database role, model, vector store, job queue): admins only."""
        results = await service.probe(platform)
        return {"status": "ok" if service.overall(results) else "degraded", "checks": results}
