"""Liveness and readiness."""

from __future__ import annotations

import asyncio
from typing import Any

from litestar import Controller, Request, Response, get
from litestar.openapi.datastructures import ResponseSpec

from backend.health.access import may_see_details
from backend.lib.cache import redis_info
from backend.lib.db import ping
from backend.lib.deps import Plat
from backend.lib.edge import EXCLUDE_FROM_AUTH
from backend.lib.platform import Probed

PUBLIC = {EXCLUDE_FROM_AUTH: True}


async def _probe(name: str, check: Any) -> tuple[str, dict[str, Any]]:
    try:
        return name, {"ok": True, **(await asyncio.wait_for(check, timeout=3))}
    except Exception as exc:  # a readiness probe reports failures, it does not raise them
        return name, {"ok": False, "error": f"{type(exc).__name__}: {exc}"[:300]}


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
        """Readiness: `status` and each check's `ok` for anyone; what failed and how (roles, paths, errors)
        only for monitoring (OPS_TOKEN) and workspace admins."""
        checks = [_probe("database", ping(platform.db)), _probe("redis", redis_info(platform.redis))]
        checks += [_probe(name, svc.health()) for name, svc in platform.service_items() if isinstance(svc, Probed)]
        results = dict(await asyncio.gather(*checks))
        db = results["database"]
        if db.get("ok") and (db.get("superuser") or db.get("bypassrls")):
            db.update(ok=False, error="the app role bypasses row-level security")
        # The LLM is optional: without it the twin answers in extractive mode, still "ready".
        required = [k for k in results if k != "llm"]
        ok = all(results[k]["ok"] for k in required)
        if not await may_see_details(request):
            results = {name: {"ok": bool(check.get("ok"))} for name, check in results.items()}
        return Response({"status": "ok" if ok else "degraded", "checks": results}, status_code=200 if ok else 503)
