"""`coachtwin` command line: start the platform, run migrations, run workers, bulk-ingest folders."""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from common.settings import PROJECT_ROOT, get_settings


def _prepare_environment() -> None:
    """Start embedded services where none are configured and export their URLs to this process."""
    from backend.lib.embedded import ensure_services

    os.environ.update(ensure_services(get_settings()))
    get_settings.cache_clear()


def migrate() -> None:
    from alembic.config import Config

    from alembic import command

    settings = get_settings()
    cfg = Config(toml_file=str(PROJECT_ROOT / "pyproject.toml"))
    cfg.attributes["admin_url"] = settings.database_admin_url or settings.database_url
    command.upgrade(cfg, "head")


def api_command(workers: int | None = None) -> list[str]:
    s = get_settings()
    return [
        sys.executable,
        "-m",
        "granian",
        "--interface",
        "asgi",
        "--host",
        s.api_host,
        "--port",
        str(s.api_port),
        "--workers",
        str(workers or s.api_workers),
        "--loop",
        "uvloop",
        "backend.asgi:app",
    ]


def api_env(workers: int | None = None) -> dict[str, str] | None:
    """With several workers, metrics go to files every worker writes and `/metrics` sums them
    (prometheus_client's multiprocess mode); otherwise each scrape saw one worker's counts only. The
    folder (PROMETHEUS_MULTIPROC_DIR, else `<DATA_DIR>/prometheus`) starts empty at each start."""
    configured = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if (workers or get_settings().api_workers) <= 1 and not configured:
        return None
    folder = Path(configured or get_settings().data_dir / "prometheus")
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(folder)}


TOOLS_BIN = PROJECT_ROOT / ".tools" / "node_modules" / ".bin"


def hub_command() -> list[str]:
    """The creator hub: a production build, frontend and its state backend on one port (HUB_PORT)."""
    return [sys.executable, "-m", "reflex", "run", "--env", "prod", "--single-port"]


def hub_env() -> dict[str, str]:
    """Bun from .tools (never a download by Reflex), telemetry off, caches inside the project."""
    s = get_settings()
    env = dict(os.environ)
    env.update(
        PATH=f"{TOOLS_BIN}{os.pathsep}{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
        REFLEX_USE_SYSTEM_BUN="1",
        REFLEX_TELEMETRY_ENABLED="false",
        BUN_RUNTIME_TRANSPILER_CACHE_PATH=str(PROJECT_ROOT / ".bun-cache"),
        PUBLIC_API_URL=s.public_api_url,
        HUB_PORT=str(s.hub_port),
    )
    return env


def _ensure_hub_toolchain() -> None:
    """Install bun into .tools when it is missing (what `just setup` does), so `coachtwin hub` works alone."""
    if (TOOLS_BIN / "bun").exists():
        return
    import importlib.util

    spec = importlib.util.spec_from_file_location("coachtwin_setup", PROJECT_ROOT / ".ci" / "setup.py")
    if spec is None or spec.loader is None:
        raise SystemExit("bun is missing: run `just setup`")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.hub_toolchain()


def _run_all(commands: Sequence[list[str] | tuple[list[str], dict[str, str] | None]]) -> int:
    """Run processes side by side; stop them all when one ends or on Ctrl-C."""
    procs = []
    for item in commands:
        cmd, env = item if isinstance(item, tuple) else (item, None)
        procs.append(subprocess.Popen(cmd, cwd=PROJECT_ROOT, env=env))

    def stop(*_: object) -> None:
        for p in procs:
            if p.poll() is None:
                p.terminate()

    signal.signal(signal.SIGTERM, stop)
    try:
        while all(p.poll() is None for p in procs):
            try:
                procs[0].wait(timeout=1)
            except subprocess.TimeoutExpired:
                continue
    except KeyboardInterrupt:
        pass
    finally:
        stop()
        for p in procs:
            p.wait(timeout=20)
    return max((p.returncode or 0) for p in procs)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="coachtwin")
    sub = parser.add_subparsers(dest="cmd", required=True)
    sub.add_parser("migrate", help="apply database migrations")
    api = sub.add_parser("api", help="serve the API (embedded services when none configured)")
    api.add_argument("--workers", type=int)
    sub.add_parser("hub", help="serve the creator hub")
    sub.add_parser("dev", help="API and creator hub together")
    sub.add_parser("worker", help="run a background job worker")
    ingest = sub.add_parser("ingest", help="ingest a folder of documents into a workspace")
    ingest.add_argument("--workspace", required=True, help="workspace (creator) id")
    ingest.add_argument("folder")
    ingest.add_argument("--tags", default="", help="comma-separated tags")
    demo = sub.add_parser("demo", help="fill a workspace with a simulated cohort (Stoic morning, weeks of history)")
    demo.add_argument("--workspace", help="fill this workspace (default: a new account and workspace)")
    demo.add_argument("--email", default="demo@coachtwin.local", help="the new account's email")
    demo.add_argument("--password", help="the new account's password (default: generated and printed)")
    demo.add_argument("--members", type=int, default=500)
    demo.add_argument("--days", type=int, default=60)
    demo.add_argument("--seed", type=int, default=17)
    demo.add_argument("--no-twin", action="store_true", help="skip the members' questions to the twin")
    args = parser.parse_args(argv)

    if args.cmd == "hub":
        _ensure_hub_toolchain()
        return _run_all([(hub_command(), hub_env())])
    _prepare_environment()
    if args.cmd == "migrate":
        migrate()
        return 0
    migrate()
    if args.cmd == "api":
        return _run_all([(api_command(args.workers), api_env(args.workers))])
    if args.cmd == "dev":
        _ensure_hub_toolchain()
        print("Tip: `coachtwin demo` fills a new workspace with 60 days of a simulated cohort to explore (~5 min).")
        return _run_all([(api_command(), api_env()), (hub_command(), hub_env())])
    if args.cmd == "worker":
        from backend.features import run_worker

        return run_worker()
    if args.cmd == "ingest":
        from backend.features import open_platform
        from backend.knowledge.bulk import ingest_folder

        return ingest_folder(open_platform, args.workspace, args.folder, [t for t in args.tags.split(",") if t])
    if args.cmd == "demo":
        import uuid

        from backend.demo.seed import Options
        from backend.demo.seed import main as demo_main
        from backend.features import open_platform

        if args.members < 1 or not 1 <= args.days <= 365:
            parser.error("--members must be at least 1 and --days between 1 and 365")
        workspace = uuid.UUID(args.workspace) if args.workspace else None
        options = Options(args.members, args.days, args.seed, workspace, args.email, args.password, not args.no_twin)
        return demo_main(open_platform, options)
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
