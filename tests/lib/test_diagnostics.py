"""Readiness tells anyone whether each part is up, and nothing else; the details are for workspace admins."""

from __future__ import annotations

from typing import Any

from litestar.testing import AsyncTestClient

from tests.auth.test_team import join
from tests.conftest import register_and_login

INTERNALS = ("superuser", "bypassrls", "role", "where", "heartbeat", "model", "detail", "error", "path")


def _keys(body: Any) -> set[str]:
    if isinstance(body, dict):
        return set(body) | {k for v in body.values() for k in _keys(v)}
    return set()


async def test_readiness_has_no_internals(client: AsyncTestClient[Any]) -> None:
    r = await client.get("/health/ready")
    assert r.status_code in {200, 503}
    body = r.json()
    assert set(body) == {"status", "checks"} and {"database", "redis"} <= set(body["checks"])
    assert not _keys(body) & set(INTERNALS), body
    llm = body["checks"].get("llm")
    if llm is not None:  # a model nobody can reach is not reported as up
        assert llm["mode"] == ("llm" if llm["ok"] else "extractive")


async def test_diagnostics_are_for_admins(client: AsyncTestClient[Any]) -> None:
    assert (await client.get("/api/v1/diagnostics/")).status_code == 401
    owner = await register_and_login(client, "diag-owner")
    r = await client.get("/api/v1/diagnostics/", headers=owner["headers"])
    assert r.status_code == 200, r.text
    checks = r.json()["checks"]
    assert checks["database"]["ok"] is True and "bypassrls" in checks["database"]
    if "llm" in checks:
        assert checks["llm"]["ok"] is checks["llm"]["reachable"]
    editor = await join(client, owner, "editor")
    r = await client.get("/api/v1/diagnostics/", headers=editor["headers"])
    assert r.status_code == 403, r.text
