"""Live delivery across processes: two API processes (no job worker inside) and a separate job worker.

A member's socket is open on API B. A program step fired by the timer job in the worker process, and a
creator's reply posted to API A, each reach that socket within a second.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import datetime
from typing import Any

import asyncpg
import httpx
import pytest
import websockets

from backend.lib.jobs import Jobs
from backend.programs.jobs import JOB
from common.settings import get_settings
from tests.bench import serving
from tests.conftest import SMTP, STRONG_PASSWORD, unique_email
from tests.fixtures.accounts import sign_up
from tests.fixtures.live import free_port
from tests.fixtures.programs import wait_graph
from tests.fixtures.widget import identity_hash

ROOT = serving.ROOT


@pytest.fixture(scope="module")
def processes(migrated_database: str) -> Iterator[tuple[str, str]]:
    env = {**os.environ, "WORKER_IN_PROCESS": "false", "LOG_LEVEL": "WARNING"}
    ports = free_port(), free_port()
    worker_log = open(get_settings().data_dir.parent / f"worker-{os.getpid()}.log", "w")  # noqa: SIM115
    worker = subprocess.Popen(
        [sys.executable, "-c", "from backend.features import run_worker; raise SystemExit(run_worker())"],
        cwd=ROOT,
        env={**env, "WORKER_IN_PROCESS": "true"},
        stdout=worker_log,
        stderr=worker_log,
    )
    try:
        with ExitStack() as stack:
            for port in ports:
                stack.enter_context(
                    serving.serve(serving.granian_command("backend.asgi:app", port), port, env, "/health")
                )
            yield f"127.0.0.1:{ports[0]}", f"127.0.0.1:{ports[1]}"
    finally:
        worker.terminate()
        worker.wait(20)
        worker_log.close()


async def staff_of(base: str) -> dict[str, str]:
    """A creator signed up through the emailed link (the worker process sends the mail)."""
    session = await asyncio.to_thread(sign_up, base, unique_email("procs"), STRONG_PASSWORD, "Coach", SMTP.sink)
    return {"Authorization": f"Bearer {session['access_token']}"}


async def next_message(ws: Any, timeout: float = 10) -> tuple[dict[str, Any], float]:
    async with asyncio.timeout(timeout):
        while True:
            frame = json.loads(await ws.recv())
            if frame["type"] == "message":
                return frame, time.time()


async def test_from_the_worker_and_from_another_api_process(
    processes: tuple[str, str], admin_conn: asyncpg.Connection
) -> None:
    a = f"http://{processes[0]}"  # the socket goes to processes[1]
    async with httpx.AsyncClient() as http:
        staff = await staff_of(a)
        secret = (await http.post(f"{a}/api/v1/channels/web/identity-secret", headers=staff)).json()["identity_secret"]
        key = (await http.get(f"{a}/api/v1/channels/web", headers=staff)).json()["public_key"]
        session = await http.post(
            f"{a}/api/v1/widget/sessions",
            json={"key": key, "external_id": "m-1", "identity_hash": identity_hash(secret, "m-1")},
        )
        member = session.json()
        r = await http.post(f"{a}/api/v1/programs", headers=staff, json={"name": "Wake", "graph": wait_graph()})
        pid = r.json()["id"]
        assert (await http.post(f"{a}/api/v1/programs/{pid}/publish", headers=staff)).status_code == 201
        r = await http.post(
            f"{a}/api/v1/programs/{pid}/enrollments", headers=staff, json={"member_id": member["member_id"]}
        )
        assert r.status_code == 201, r.text
        enrollment = r.json()["id"]

        async with websockets.connect(f"ws://{processes[1]}/ws/chat?token={member['token']}") as ws:
            assert json.loads(await ws.recv())["type"] == "ready"
            # The program's wait ends now; the worker process's timer job fires it.
            await admin_conn.execute(
                "UPDATE program_timers SET due_at = now() - interval '1 second' WHERE enrollment_id = $1::uuid",
                enrollment,
            )
            jobs = Jobs(get_settings().redis_url, [], {}, get_settings().job_queue)
            await jobs.enqueue(JOB, key=f"{JOB}:test:{time.time()}", timeout=60, retries=0)
            await jobs.aclose()
            frame, received = await next_message(ws)
            assert frame["role"] == "program" and frame["text"].startswith("Wake up")
            written = datetime.fromisoformat(frame["created_at"]).timestamp()
            assert received - written < 1.0, f"{received - written:.3f} s from the step to the socket"

            # The creator answers through API A; the socket is on API B.
            conv = frame["conversation_id"]
            sent_at = time.time()
            r = await http.post(f"{a}/api/v1/conversations/{conv}/messages", headers=staff, json={"text": "Morning!"})
            assert r.status_code == 201, r.text
            frame, received = await next_message(ws)
            assert frame["role"] == "creator" and frame["text"] == "Morning!"
            assert received - sent_at < 1.0, f"{received - sent_at:.3f} s from the reply to the socket"
