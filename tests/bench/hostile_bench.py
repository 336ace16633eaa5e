"""Hostile uploads beside a normal one, with the default parse limits: how long a hostile DOCX (35 MB of XML)
and PDF (12 MB of content streams) take to fail, and another workspace's 1 KB upload alone vs beside them.

The real app (in-process saq worker, two slots) through its ASGI interface; load average before and after.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import tempfile
import time
from typing import Any

NAME = "hostile"
TITLE = "Knowledge: hostile uploads beside a normal one"
DB_NAME = "coachtwin_bench_hostile"
SMALL = "".join(f"Note {i}. Begin each morning by naming what you will meet today.\n\n" for i in range(12))


async def _until_done(client: Any, headers: dict[str, str], doc_id: str) -> tuple[dict[str, Any], float]:
    """(document, slowest status answer meanwhile)."""
    slowest = 0.0
    while True:
        started = time.monotonic()
        r = await client.get(f"/api/v1/knowledge/documents/{doc_id}", headers=headers)
        slowest = max(slowest, time.monotonic() - started)
        if r.json()["status"] in ("ready", "failed"):
            return r.json(), slowest
        await asyncio.sleep(0.1)


async def _small(client: Any, headers: dict[str, str], n: int) -> tuple[float, float]:
    """Seconds from upload to `ready` of a 1 KB file, and the slowest status answer meanwhile."""
    started = time.monotonic()
    files = {"file": (f"note{n}.txt", SMALL.replace("Note", f"Entry {n}").encode())}
    r = await client.post("/api/v1/knowledge/documents", headers=headers, files=files)
    doc, slowest = await _until_done(client, headers, r.json()["id"])
    assert doc["status"] == "ready", doc
    return time.monotonic() - started, slowest


async def _main() -> dict[str, Any]:
    from litestar.testing import AsyncTestClient

    from backend.app import create_app
    from tests.conftest import register_and_login
    from tests.fixtures.hostile import docx_bomb, pdf_bomb

    load_before = os.getloadavg()[0]
    async with AsyncTestClient(app=create_app()) as client:
        attacker, victim = await register_and_login(client, "attacker"), await register_and_login(client, "victim")
        await _small(client, victim["headers"], 0)  # loads the tokenizer and the model
        alone = [(await _small(client, victim["headers"], i))[0] for i in range(1, 4)]
        hostile = {"bomb.docx": docx_bomb(), "bomb.pdf": pdf_bomb()}
        sent = time.monotonic()
        ids = {}
        for name, data in hostile.items():
            r = await client.post(
                "/api/v1/knowledge/documents", headers=attacker["headers"], files={"file": (name, data)}
            )
            ids[name] = r.json()["id"]
        await asyncio.sleep(1)
        beside = [await _small(client, victim["headers"], i) for i in range(4, 7)]
        failed = {}
        for name, doc_id in ids.items():
            doc, _ = await _until_done(client, attacker["headers"], doc_id)
            failed[name] = {
                "status": doc["status"],
                "error": doc["error"],
                "after_s": round(time.monotonic() - sent, 1),
            }
    return {
        "hostile": {name: {**failed[name], "bytes": len(data)} for name, data in hostile.items()},
        "small_alone_s": [round(x, 2) for x in alone],
        "small_beside_s": [round(x, 2) for x, _ in beside],
        "slowest_status_answer_s": round(max(s for _, s in beside), 3),
        "median_alone_s": round(statistics.median(alone), 2),
        "median_beside_s": round(statistics.median(x for x, _ in beside), 2),
        "load_average": [round(load_before, 2), round(os.getloadavg()[0], 2)],
    }


def run(options: Any) -> dict[str, Any]:
    from tests.fixtures import database

    redis_url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0").rsplit("/", 1)[0] + "/13"
    os.environ.update(
        {
            "REDIS_URL": redis_url,
            "DATA_DIR": tempfile.mkdtemp(prefix="coachtwin-bench-hostile-"),
            "JOB_QUEUE": "coachtwin-bench-hostile",
            "LOG_LEVEL": "WARNING",
            "OLLAMA_URL": "http://127.0.0.1:9",
        }
    )
    database.build_and_use(DB_NAME)
    return asyncio.run(_main())


def report(result: dict[str, Any]) -> str:
    rows = "\n".join(
        f"| {name} ({h['bytes'] / 1e6:.2f} MB) | {h['status']} after {h['after_s']} s | {h['error']} |"
        for name, h in result["hostile"].items()
    )
    return (
        "Default limits (30 s CPU, 1 GB, 45 s wall per parse), one worker process with two slots:\n\n"
        f"| hostile file | outcome | reason |\n|---|---|---|\n{rows}\n\n"
        f"Another workspace's 1 KB upload, upload to `ready`: median {result['median_alone_s']} s alone "
        f"({result['small_alone_s']}), {result['median_beside_s']} s beside the hostile files "
        f"({result['small_beside_s']}); slowest status answer meanwhile {result['slowest_status_answer_s']} s. "
        f"Load average {result['load_average'][0]} before, {result['load_average'][1]} after.\n"
    )
