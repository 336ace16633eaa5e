"""Several API workers: every scrape of /metrics counts every worker's requests (multiprocess mode)."""

from __future__ import annotations

import os
import re
import subprocess
import time

import httpx

from backend import cli
from common.settings import get_settings
from tests.conftest import OPS, SMTP, STRONG_PASSWORD, token_of, unique_email
from tests.fixtures.live import free_port


def _count(text: str) -> float:
    line = r'litestar_requests_total\{app_name="coachtwin",method="GET",path="/api/v1/workspace",status_code="200"\}'
    found = re.search(line + r" (\S+)", text)
    return float(found.group(1)) if found else 0.0


def test_metrics_add_up_across_workers(migrated_database: str) -> None:
    assert "PROMETHEUS_MULTIPROC_DIR" not in os.environ and cli.api_env(1) is None  # one worker: plain
    folder = get_settings().data_dir / "prometheus"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "counter_1.db").write_bytes(b"left by an earlier start")
    env = cli.api_env(2)
    assert env is not None and env["PROMETHEUS_MULTIPROC_DIR"] == str(folder) and not any(folder.iterdir())
    port = free_port()
    command = [*cli.api_command(2), "--log-level", "warning"]
    command[command.index("--port") + 1] = str(port)
    server = subprocess.Popen(command, env=env, cwd=cli.PROJECT_ROOT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert server.poll() is None and time.monotonic() < deadline, "the API did not start"
            time.sleep(0.3)
        email = unique_email("metrics")
        body = {"email": email, "password": STRONG_PASSWORD, "full_name": "Metrics"}
        assert httpx.post(f"{base}/api/v1/auth/register", json=body).status_code == 202
        link = SMTP.sink.wait(email).link("/verify-email")
        assert httpx.post(f"{base}/api/v1/auth/verify-email", json={"token": token_of(link)}).status_code == 201
        login = httpx.post(f"{base}/api/v1/auth/login", json={"email": email, "password": STRONG_PASSWORD})
        auth = {"Authorization": f"Bearer {login.json()['access_token']}"}
        for _ in range(40):  # a new connection each time: the kernel spreads them over both workers
            assert httpx.get(f"{base}/api/v1/workspace", headers=auth).status_code == 200
        workers = {p.stem.rsplit("_", 1)[-1] for p in folder.glob("counter_*.db")}
        assert len(workers) == 2, f"requests reached {len(workers)} worker(s): nothing to add up"
        assert [_count(httpx.get(f"{base}/metrics", headers=OPS).text) for _ in range(6)] == [40.0] * 6
    finally:
        server.terminate()
        server.wait(30)
