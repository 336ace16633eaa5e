"""Defect 9: security headers on every answer (Swagger included), origins, and what /health and /metrics
show to whom."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import re
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from backend.lib.headers import docs_csp
from common.settings import Settings, get_settings
from tests.auth.test_team import join
from tests.conftest import OPS

BASE_HEADERS = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
}


def _has_base_headers(r: Any) -> None:
    for name, value in BASE_HEADERS.items():
        assert r.headers.get(name) == value, (r.request.url, name, dict(r.headers))
    assert "frame-ancestors 'none'" in r.headers["content-security-policy"]


async def test_every_answer_carries_the_headers(client: AsyncTestClient[Any], creator: dict[str, Any]) -> None:
    answers = [
        await client.get("/api/v1/workspace", headers=creator["headers"]),  # the hot read (ReadyJSON)
        await client.get("/api/v1/workspace"),  # 401 from the edge
        await client.get("/no/such/route"),  # 404 before any route
        await client.delete("/health"),  # 405
        await client.post("/api/v1/auth/login", content=b"{", headers={"Content-Type": "application/json"}),
        await client.get("/health"),
        await client.get("/schema/openapi.json"),
    ]
    for r in answers:
        _has_base_headers(r)
        assert r.headers["content-security-policy"].startswith("default-src 'none'")
    assert "strict-transport-security" not in answers[0].headers  # test env: no HSTS (production only)


async def test_swagger_page_policy_allows_exactly_its_scripts(client: AsyncTestClient[Any]) -> None:
    r = await client.get("/schema/swagger")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    _has_base_headers(r)
    csp = r.headers["content-security-policy"]
    inline = re.findall(rb"<script(?![^>]*\bsrc=)[^>]*>(.*?)</script>", r.content, re.S)
    assert inline, "the Swagger page has its inline bootstrap script"
    for script in inline:
        digest = base64.b64encode(hashlib.sha256(script).digest()).decode()
        assert f"'sha256-{digest}'" in csp
    assert "'unsafe-inline'" not in csp.split("style-src")[0] and "'unsafe-eval'" not in csp
    assert int(r.headers["content-length"]) == len(r.content)


def test_docs_policy_names_only_inline_scripts() -> None:
    csp = docs_csp(b'<script src="https://cdn.jsdelivr.net/x.js"></script><script>go()</script>')
    assert csp.count("'sha256-") == 1


async def test_hsts_in_production(migrated_database: str, tmp_path: Any) -> None:
    from backend.app import create_app

    settings = dataclasses.replace(
        get_settings(), env="production", jwt_secret="x" * 48, cors_origins=("https://hub.example",),
        data_dir=tmp_path, worker_in_process=False,
    )  # fmt: skip
    async with AsyncTestClient(app=create_app(settings)) as client:
        r = await client.get("/health")
        assert r.headers["strict-transport-security"].startswith("max-age=")
        evil = await client.get("/health", headers={"Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in evil.headers
        null = await client.get("/health", headers={"Origin": "null"})
        assert "access-control-allow-origin" not in null.headers
        hub = await client.get("/health", headers={"Origin": "https://hub.example"})
        assert hub.headers["access-control-allow-origin"] == "https://hub.example"
        # No OPS_TOKEN configured outside dev: nobody reads metrics.
        assert (await client.get("/metrics")).status_code == 401


def test_settings_refuse_wildcard_origins_outside_dev() -> None:
    base = {
        "env": "production",
        "jwt_secret": "x" * 48,
        "secret_key": "k" * 32,
        "smtp_url": "smtp://mail.example.com:587",
    }
    for bad in (("*",), ("null",), ("https://hub.example", "*")):
        with pytest.raises(RuntimeError, match="CORS_ORIGINS"):
            Settings(**base, cors_origins=bad).validate()  # type: ignore[arg-type]
    Settings(**base, cors_origins=("https://hub.example",)).validate()  # type: ignore[arg-type]


async def test_health_details_and_metrics_need_a_token(client: AsyncTestClient[Any], creator: dict[str, Any]) -> None:
    assert (await client.get("/health")).json() == {"status": "ok"}
    public = (await client.get("/health/ready")).json()
    assert public["status"] == "ok"
    # Up or not (and how the twin answers): no roles, paths, errors.
    assert all(set(check) <= {"ok", "mode"} for check in public["checks"].values()), public
    detailed = (await client.get("/health/ready", headers=OPS)).json()
    assert "superuser" in detailed["checks"]["database"] or len(detailed["checks"]["database"]) > 1
    admin = (await client.get("/health/ready", headers=creator["headers"])).json()
    assert admin["checks"] == detailed["checks"] or len(admin["checks"]["database"]) > 1
    viewer = await join(client, creator, "viewer")
    assert all(
        set(c) <= {"ok", "mode"}
        for c in (await client.get("/health/ready", headers=viewer["headers"])).json()["checks"].values()
    )

    assert (await client.get("/metrics")).status_code == 401
    assert (await client.get("/metrics", headers={"Authorization": "Bearer wrong"})).status_code == 401
    assert (await client.get("/metrics", headers=creator["headers"])).status_code == 401  # a user is no monitor
    r = await client.get("/metrics", headers=OPS)
    assert r.status_code == 200 and "litestar_requests_total" in r.text
