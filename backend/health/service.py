"""Probing the platform's parts: what readiness says publicly (each part up or not) and what an admin's
diagnostics show (the details: database role, model, vector store, queue)."""

from __future__ import annotations

import asyncio
from typing import Any

from backend.lib.cache import redis_info
from backend.lib.db import ping
from backend.lib.platform import Platform, Probed

OPTIONAL = {"llm"}  # without it the twin answers in extractive mode: still ready


async def _probe(name: str, check: Any) -> tuple[str, dict[str, Any]]:
    try:
        return name, {"ok": True, **(await asyncio.wait_for(check, timeout=3))}
    except Exception as exc:  # a probe reports failures, it does not raise them
        return name, {"ok": False, "error": f"{type(exc).__name__}: {exc}"[:300]}


async def probe(platform: Platform) -> dict[str, dict[str, Any]]:
    """Every part's check with its details. A part that reports `reachable: false` (the language model when
    Ollama cannot be reached) is reported as not ok."""
    checks = [_probe("database", ping(platform.db)), _probe("redis", redis_info(platform.redis))]
    checks += [_probe(name, svc.health()) for name, svc in platform.service_items() if isinstance(svc, Probed)]
    results = dict(await asyncio.gather(*checks))
    for check in results.values():  # a part that answers but says it cannot do its work (the LLM) is not up
        if check.get("ok") and check.get("reachable") is False:
            check["ok"] = False
    db = results["database"]
    if db.get("ok") and (db.get("superuser") or db.get("bypassrls")):
        db.update(ok=False, error="the app role bypasses row-level security")
    return results


def overall(results: dict[str, dict[str, Any]]) -> bool:
    return all(check["ok"] for name, check in results.items() if name not in OPTIONAL)


def public_summary(results: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """What anyone may read: up or not per part, and how the twin answers. No internals (roles, paths, errors)."""
    checks: dict[str, dict[str, Any]] = {name: {"ok": bool(check["ok"])} for name, check in results.items()}
    if "llm" in checks:
        checks["llm"]["mode"] = "llm" if results["llm"]["ok"] else "extractive"
    return {"status": "ok" if overall(results) else "degraded", "checks": checks}
