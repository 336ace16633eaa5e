"""Ingestion under hostile uploads: another workspace's small upload is ready in its usual time, the API keeps
answering, every hostile file fails fast with a reason, and a cancelled or timed-out job ends `failed`."""

from __future__ import annotations

import asyncio
import dataclasses
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from backend.features import open_services
from backend.knowledge import jobs, service
from backend.knowledge.jobs import INTERRUPTED, ingest_document
from backend.lib.cache import tenant_key
from backend.lib.platform import Platform
from backend.lib.tenancy import TenantContext
from common.enums import DocumentStatus
from common.models import Creator
from common.settings import get_settings
from tests.conftest import register_and_login
from tests.fixtures.hostile import docx_bomb, pdf_bomb
from tests.knowledge.helpers import admin_fetch, upload
from tests.knowledge.test_isolated_parsing import parse_children

SMALL = "".join(
    f"Note {i}. Begin each morning by telling yourself: today I shall meet with interference and ingratitude.\n\n"
    for i in range(10)
).encode()


def fast_limits(settings: Any, **over: Any) -> Any:
    return dataclasses.replace(settings, parse_cpu_seconds=4, parse_wall_seconds=20, **over)


async def poll(
    client: AsyncTestClient[Any], headers: dict[str, str], doc_id: str, timeout: float
) -> tuple[dict[str, Any], float]:
    """Wait for a final status; returns the document and the slowest status answer meanwhile."""
    deadline, slowest = time.monotonic() + timeout, 0.0
    while time.monotonic() < deadline:
        started = time.monotonic()
        r = await client.get(f"/api/v1/knowledge/documents/{doc_id}", headers=headers)
        slowest = max(slowest, time.monotonic() - started)
        assert r.status_code == 200, r.text
        if r.json()["status"] in ("ready", "failed"):
            return r.json(), slowest
        await asyncio.sleep(0.1)
    raise AssertionError(f"{doc_id} not finished in {timeout}s")


@pytest.mark.slow
async def test_hostile_uploads_do_not_hold_up_another_workspace(
    client: AsyncTestClient[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    platform: Platform = client.app.state.platform
    monkeypatch.setattr(platform, "settings", fast_limits(platform.settings))
    attacker, victim = await register_and_login(client, "attacker"), await register_and_login(client, "victim")

    started = time.monotonic()  # the victim's usual time, with the model and tokenizer already loaded
    r = await upload(client, victim["headers"], "warm.txt", SMALL)
    await poll(client, victim["headers"], r.json()["id"], 120)
    started = time.monotonic()
    r = await upload(client, victim["headers"], "usual.txt", SMALL.replace(b"morning", b"evening"))
    usual, _ = await poll(client, victim["headers"], r.json()["id"], 120)
    usual_s = time.monotonic() - started
    assert usual["status"] == "ready", usual

    hostile = {"a.docx": docx_bomb(), "b.pdf": pdf_bomb(), "c.docx": docx_bomb(seed=8), "d.pdf": pdf_bomb(seed=8)}
    sent = time.monotonic()
    ids = []
    for name, data in hostile.items():
        r = await upload(client, attacker["headers"], name, data)
        assert r.status_code == 202, r.text
        ids.append(r.json()["id"])
    await asyncio.sleep(0.5)  # the attacker's jobs reach the worker first
    started = time.monotonic()
    r = await upload(client, victim["headers"], "during.txt", SMALL.replace(b"morning", b"noon"))
    during, slowest = await poll(client, victim["headers"], r.json()["id"], 120)
    during_s = time.monotonic() - started
    assert during["status"] == "ready", during
    print(f"victim's 1 KB upload: usual {usual_s:.2f}s, beside hostile files {during_s:.2f}s")
    assert during_s < usual_s + 3, (usual_s, during_s)
    assert slowest < 1.0, f"a status request took {slowest:.2f}s while hostile files were parsed"

    for doc_id in ids:
        final, _ = await poll(client, attacker["headers"], doc_id, 120)
        assert final["status"] == "failed" and "to read safely" in final["error"], final
    took = time.monotonic() - sent
    print(f"four hostile files failed within {took:.1f}s of upload")
    assert took < 60 * len(ids) / 2  # two at most in work at once (one per workspace here): each under a minute


@pytest.fixture
async def platform(migrated_database: str) -> AsyncIterator[Platform]:
    p = Platform.open(fast_limits(get_settings()))
    open_services(p)
    yield p
    await p.close()


async def _document(platform: Platform, data: bytes, name: str) -> tuple[uuid.UUID, uuid.UUID]:
    cid = uuid.uuid4()
    async with platform.db.session(TenantContext(cid)) as db:
        db.add(Creator(id=cid, name="ingest safety"))
        await db.flush()
        doc = await service.create(db, cid, data, name, name.rsplit(".", 1)[-1], None, [])
        await db.commit()
    return cid, doc.id


async def _row(doc_id: uuid.UUID) -> Any:
    return (await admin_fetch("SELECT status, error FROM documents WHERE id = $1", doc_id))[0]


async def test_a_cancelled_job_ends_its_document_failed(platform: Platform) -> None:
    cid, did = await _document(platform, pdf_bomb(), "bomb.pdf")
    task = asyncio.create_task(
        ingest_document({"platform": platform}, creator_id=str(cid), document_id=str(did), version=1)
    )
    for _ in range(300):
        if parse_children():
            break
        await asyncio.sleep(0.02)
    task.cancel()  # what a stopping worker does; CancelledError is not an Exception
    with pytest.raises(asyncio.CancelledError):
        await task
    row = await _row(did)
    assert row["status"] == DocumentStatus.failed and row["error"] == INTERRUPTED
    assert parse_children() == []
    assert await platform.redis.get(tenant_key("ingest", cid, "running")) is None  # the slot is free


async def test_a_job_past_its_deadline_ends_failed(platform: Platform, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(platform, "settings", dataclasses.replace(platform.settings, ingest_timeout_seconds=1))
    cid, did = await _document(platform, pdf_bomb(), "bomb.pdf")
    started = time.monotonic()
    assert await ingest_document({"platform": platform}, creator_id=str(cid), document_id=str(did), version=1) == (
        "failed"
    )
    assert time.monotonic() - started < 5
    row = await _row(did)
    assert row["status"] == DocumentStatus.failed and "longer than" in row["error"]
    assert parse_children() == []


class FakeJob:
    """What the job function sees of saq's Job when the queue runs it."""

    attempts, retries = 1, 3

    async def update(self, **_: Any) -> None:
        return None


async def test_one_document_per_workspace_at_a_time_and_no_second_parse(
    platform: Platform, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A second job of the same workspace (a heartbeat retry of the same document, or another document) gives
    its worker slot back and is queued again; a final failure is never parsed twice."""
    cid, did = await _document(platform, docx_bomb(), "bomb.docx")
    parses: list[str] = []
    original = jobs.parse_isolated

    async def counting(data: bytes, filename: str | None, limits: Any) -> Any:
        parses.append(filename or "")
        return await original(data, filename, limits)

    monkeypatch.setattr(jobs, "parse_isolated", counting)
    queued: list[dict[str, Any]] = []

    async def enqueue(function: str, **kwargs: Any) -> None:
        queued.append({"function": function, **kwargs})

    monkeypatch.setattr(platform.services.jobs, "enqueue", enqueue)
    args = {"creator_id": str(cid), "document_id": str(did), "version": 1}
    first = asyncio.create_task(ingest_document({"platform": platform, "job": FakeJob()}, **args))
    for _ in range(300):
        if parses:
            break
        await asyncio.sleep(0.02)
    second = await ingest_document({"platform": platform, "job": FakeJob()}, **args)
    assert second == "deferred" and len(parses) == 1
    assert queued and queued[0]["function"] == "ingest_document" and queued[0]["delay"] >= 1
    assert queued[0]["deferrals"] == 1 and queued[0]["key"] != f"ingest:{did}:1"
    assert await first == "failed"
    # The deferred job runs later: the document already failed for good, so nothing is parsed again.
    assert await ingest_document({"platform": platform, "job": FakeJob()}, **args, deferrals=1) == "failed"
    assert len(parses) == 1
    assert "to read safely" in (await _row(did))["error"]
