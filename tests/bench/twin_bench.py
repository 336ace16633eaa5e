"""Twin quality (issue 18): retrieval, the grounding gate and the offline reply, side by side, leave-one-creator-out.

Each sample author's files go into their own workspace (Marcus Aurelius, Epictetus, Seneca). The on-topic
questions (`retrieval/questions.json`) are asked of their author's workspace; every off-topic question
(`retrieval/offtopic.json`) is asked of every workspace. The figures and how they are computed live in
`retrieval/harness.py`; this module builds the data and runs the real search and chat decision over it.

To iterate without re-ingesting, run the module itself: it builds the three workspaces once into a kept
database (`coachtwin_bench_twin_kept`, files under /tmp/coachtwin-bench-twin-kept) and re-runs the
evaluation only:

    flock /tmp/coachtwin-bench.lock .venv/bin/python -m tests.bench.twin_bench [--rebuild] [--json out.json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import tempfile
import uuid
from pathlib import Path
from typing import Any

from tests.bench.knowledge_bench import AUTHORS
from tests.corpora import CORPORA

NAME = "twin"
TITLE = "Twin quality: retrieval, grounding and offline replies (leave-one-creator-out)"
DB_NAME = "coachtwin_bench_twin"
KEPT_DB = "coachtwin_bench_twin_kept"
KEPT_DIR = Path("/tmp/coachtwin-bench-twin-kept")


def _setup_env(data_dir: str | None = None) -> None:
    # An engineer's own test Redis when set (each has one); else database 13 of the configured server.
    redis_url = os.environ.get("TEST_REDIS_URL") or (
        os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0").rsplit("/", 1)[0] + "/13"
    )
    os.environ.update(
        {
            "REDIS_URL": redis_url,
            "DATA_DIR": data_dir or tempfile.mkdtemp(prefix="coachtwin-bench-twin-"),
            "LOG_LEVEL": "WARNING",
            "OLLAMA_URL": "http://127.0.0.1:9",
            "HF_HUB_OFFLINE": "1",
        }
    )


async def _build(platform: Any) -> dict[str, uuid.UUID]:
    from tests.bench.knowledge_bench import _ingest, _workspace

    spaces = {name: await _workspace(platform, name) for name in sorted(set(AUTHORS.values()))}
    for stem, author in AUTHORS.items():
        await _ingest(platform, spaces[author], CORPORA / f"{stem}.txt")
    return spaces


async def _evaluate(spaces: dict[str, uuid.UUID] | None, state_file: Path | None) -> dict[str, Any]:
    from backend.features import open_services
    from backend.lib.platform import Platform
    from common.settings import get_settings
    from tests.bench.retrieval.harness import evaluate

    platform = Platform.open(get_settings())
    open_services(platform)
    try:
        await platform.services.embedder.warm()
        if spaces is None:
            assert state_file is not None
            if not state_file.exists():
                built = await _build(platform)
                state_file.write_text(json.dumps({k: str(v) for k, v in built.items()}))
            spaces = {k: uuid.UUID(v) for k, v in json.loads(state_file.read_text()).items()}
        return await evaluate(platform, spaces)
    finally:
        await platform.close()


def run(options: Any) -> dict[str, Any]:
    from tests.fixtures import database

    _setup_env()
    database.build_and_use(DB_NAME)

    async def fresh() -> dict[str, Any]:
        from backend.features import open_services
        from backend.lib.platform import Platform
        from common.settings import get_settings

        platform = Platform.open(get_settings())
        open_services(platform)
        try:
            await platform.services.embedder.warm()
            spaces = await _build(platform)
        finally:
            await platform.close()
        return await _evaluate(spaces, None)

    return asyncio.run(fresh())


def report(result: dict[str, Any]) -> str:
    from tests.bench.retrieval.harness import markdown

    return markdown(result)


def main(argv: list[str] | None = None) -> int:
    from tests.bench.knowledge_bench import use_kept

    parser = argparse.ArgumentParser(description="twin quality harness on kept data")
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--json", type=Path, default=None, help="also write the full result here")
    args = parser.parse_args(argv)
    use_kept(KEPT_DIR, KEPT_DB, args.rebuild, _setup_env)
    result = asyncio.run(_evaluate(None, KEPT_DIR / "state.json"))
    if args.json:
        args.json.write_text(json.dumps(result, indent=1))
    print(report(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
