"""Embedded defaults: with no DATABASE_URL / REDIS_URL, start our own PostgreSQL and Redis under DATA_DIR.

PostgreSQL comes from the `pgserver` wheel (a real PostgreSQL 16); Redis from a local `redis-server`
when one is installed, else the in-process fallback (one process only; a warning is logged).
Both listen on Unix sockets inside the data folder, so nothing clashes with servers on the machine.
"""

from __future__ import annotations

import atexit
import json
import secrets
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import structlog

from common.settings import Settings

log = structlog.get_logger()
APP_ROLE = "coachtwin_app"
DB_NAME = "coachtwin"


def _secrets(data_dir: Path) -> dict[str, str]:
    """Dev secrets made once per data folder and kept there (never committed)."""
    path = data_dir / "secrets.json"
    if path.exists():
        loaded: dict[str, str] = json.loads(path.read_text())
        return loaded
    values = {"db_app_password": secrets.token_urlsafe(24), "jwt_secret": secrets.token_urlsafe(48)}
    path.write_text(json.dumps(values))
    path.chmod(0o600)
    return values


def start_postgres(data_dir: Path, app_password: str) -> tuple[str, str]:
    """Start (or reuse) the embedded server; return (admin URL, app URL)."""
    import pgserver

    pgdata = data_dir / "pg"
    server: Any = pgserver.get_server(str(pgdata), cleanup_mode="stop")
    socket_dir = pgdata
    exists = server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{DB_NAME}';")
    if "(1 row)" not in exists:
        server.psql(f"CREATE DATABASE {DB_NAME};")
    admin = f"postgresql://postgres@/{DB_NAME}?host={socket_dir}"
    app = f"postgresql://{APP_ROLE}:{app_password}@/{DB_NAME}?host={socket_dir}"
    # Keep a reference so the server lives as long as this process.
    _KEEP.append(server)
    return admin, app


_KEEP: list[Any] = []


def start_redis(data_dir: Path) -> str:
    """Start (or reuse) a redis-server on a Unix socket with append-only persistence; '' if none."""
    binary = shutil.which("redis-server")
    if binary is None:
        return ""
    folder = data_dir / "redis"
    folder.mkdir(parents=True, exist_ok=True)
    sock = folder / "redis.sock"
    url = f"unix://{sock}"
    if sock.exists() and _redis_alive(url):
        return url
    subprocess.Popen(
        [
            binary,
            "--port",
            "0",
            "--unixsocket",
            str(sock),
            "--unixsocketperm",
            "700",
            "--dir",
            str(folder),
            "--appendonly",
            "yes",
            "--daemonize",
            "yes",
            "--pidfile",
            str(folder / "redis.pid"),
            "--logfile",
            str(folder / "redis.log"),
        ],
    ).wait(timeout=10)
    for _ in range(50):
        if _redis_alive(url):
            atexit.register(_stop_redis, url)  # we started it, so we stop it (its data stays on disk)
            return url
        time.sleep(0.1)
    raise RuntimeError(f"redis-server did not start; see {folder / 'redis.log'}")


def _stop_redis(url: str) -> None:
    import redis

    try:
        redis.Redis.from_url(url, socket_timeout=2).shutdown(save=True)
    except (redis.RedisError, OSError):
        return  # already gone


def _redis_alive(url: str) -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(url, socket_timeout=0.5).ping())
    except (redis.RedisError, OSError):
        return False


def ensure_services(settings: Settings) -> dict[str, str]:
    """Environment variables that point every process at the services to use."""
    data_dir = settings.data_dir
    data_dir.mkdir(parents=True, exist_ok=True)
    env: dict[str, str] = {"DATA_DIR": str(data_dir)}
    dev_secrets = _secrets(data_dir)
    if settings.is_dev and not settings.jwt_private_key_file:
        env.setdefault("JWT_SECRET", dev_secrets["jwt_secret"])
    if not settings.database_url:
        admin, app = start_postgres(data_dir, dev_secrets["db_app_password"])
        env |= {"DATABASE_URL": app, "DATABASE_ADMIN_URL": admin}
        log.info("embedded_postgres", data=str(data_dir / "pg"))
    if not settings.redis_url:
        url = start_redis(data_dir)
        if url:
            env["REDIS_URL"] = url
            log.info("embedded_redis", url=url)
        else:
            env["WORKER_IN_PROCESS"] = "true"  # the fallback lives in one process only
    return env
