"""A worker killed in the middle of a document: the retry resumes after the last committed batch."""

from __future__ import annotations

import asyncio
import dataclasses
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import pytest

from backend.features import open_services
from backend.knowledge import jobs, service
from backend.knowledge.jobs import ingest_document
from backend.lib.cache import tenant_key
from backend.lib.platform import Platform
from backend.lib.tenancy import TenantContext
from common.enums import DocumentStatus
from common.models import Creator
from common.settings import get_settings
from tests.corpora import CORPORA
from tests.knowledge.helpers import admin_fetch

pytestmark = pytest.mark.slow

CHILD = """
import asyncio, sys
from backend.features import open_services
from backend.knowledge.jobs import ingest_document
from backend.lib.platform import Platform
from common.settings import get_settings

async def main():
    platform = Platform.open(get_settings())
    open_services(platform)
    await ingest_document({"platform": platform}, creator_id=sys.argv[1], document_id=sys.argv[2], version=1)

asyncio.run(main())
"""


async def _platform(data_dir: Path) -> Platform:
    platform = Platform.open(dataclasses.replace(get_settings(), data_dir=data_dir))
    open_services(platform)
    return platform


async def test_killed_worker_resumes_without_duplicates(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    platform = await _platform(tmp_path)
    cid = uuid.uuid4()
    tenant = TenantContext(cid)
    data = (CORPORA / "on_the_shortness_of_life.txt").read_bytes()
    async with platform.db.session(tenant) as db:
        db.add(Creator(id=cid, name="resume test"))
        await db.flush()
        doc = await service.create(db, cid, data, "shortness.txt", "txt", "On the Shortness of Life", [])
        await db.commit()

    env = {**os.environ, "DATA_DIR": str(tmp_path), "INGEST_BATCH": "16"}  # ~7 batches: room to kill mid-way
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(cid), str(doc.id)], env=env)  # noqa: ASYNC220
    try:
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            rows = await admin_fetch("SELECT count(*) FROM chunks WHERE document_id = $1", doc.id)
            if rows[0][0] > 0:  # at least one batch is committed: kill it mid-document
                break
            assert child.poll() is None, "the worker ended before it could be killed"
            await asyncio.sleep(0.2)
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=10)
    finally:
        if child.poll() is None:
            child.kill()
    committed = (await admin_fetch("SELECT count(*) FROM chunks WHERE document_id = $1", doc.id))[0][0]
    status = (await admin_fetch("SELECT status FROM documents WHERE id = $1", doc.id))[0][0]
    assert status == DocumentStatus.processing and committed > 0

    # The retry (what saq's sweeper does for a job whose worker vanished), in a fresh process state. The sweeper
    # acts after the job's heartbeat (120 s) lapsed, long after the dead worker's workspace slot expired (60 s).
    await platform.redis.delete(tenant_key("ingest", cid, "running"))
    await platform.close()
    platform = await _platform(tmp_path)
    encoded: list[int] = []
    original = jobs.encode_with_spans

    def counting(embedder: Any, texts: list[str]) -> Any:
        encoded.append(len(texts))
        return original(embedder, texts)

    monkeypatch.setattr(jobs, "encode_with_spans", counting)
    try:
        assert (
            await ingest_document({"platform": platform}, creator_id=str(cid), document_id=str(doc.id), version=1)
            == "ready"
        )
        final = (await admin_fetch("SELECT status, chunk_count, progress FROM documents WHERE id = $1", doc.id))[0]
        assert final["status"] == "ready" and final["progress"] == 1.0
        rows = await admin_fetch("SELECT id::text, ordinal FROM chunks WHERE document_id = $1", doc.id)
        ordinals = [r["ordinal"] for r in rows]
        assert len(ordinals) == len(set(ordinals)) == final["chunk_count"] == max(ordinals) + 1
        assert sum(encoded) == final["chunk_count"] - committed  # only the missing chunks were embedded
        assert {r["id"] for r in rows} == await platform.services.vectors.ids(cid)
    finally:
        await platform.close()
