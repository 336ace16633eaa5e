"""Helpers for knowledge tests: upload, wait for ingestion, look into both stores as the owner role."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import asyncpg
from litestar.testing import AsyncTestClient

from tests.conftest import ADMIN_URL


async def upload(client: AsyncTestClient[Any], headers: dict[str, str], name: str, data: bytes, **form: str) -> Any:
    return await client.post(
        "/api/v1/knowledge/documents", headers=headers, files={"file": (name, data)}, data=form or None
    )


async def wait_done(
    client: AsyncTestClient[Any], headers: dict[str, str], doc_id: str, timeout: float = 120
) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    seen: list[float] = []
    while time.monotonic() < deadline:
        r = await client.get(f"/api/v1/knowledge/documents/{doc_id}", headers=headers)
        assert r.status_code == 200, r.text
        body: dict[str, Any] = r.json()
        seen.append(body["progress"])
        if body["status"] in ("ready", "failed"):
            body["_progress_seen"] = seen
            return body
        await asyncio.sleep(0.2)
    raise AssertionError(f"document {doc_id} did not finish in {timeout}s (progress {seen[-5:]})")


async def admin_fetch(sql: str, *args: Any) -> list[Any]:
    """Read as the owner role (bypasses RLS): to check what really is in the database."""
    url = ADMIN_URL.replace("postgresql+asyncpg://", "postgresql://")
    conn = await asyncpg.connect(url)
    try:
        return list(await conn.fetch(sql, *args))
    finally:
        await conn.close()
