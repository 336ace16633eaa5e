"""`coachtwin ingest --workspace ID FOLDER`: load a folder of documents into a workspace, for seeding."""

from __future__ import annotations

import asyncio
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from backend.knowledge import service
from backend.knowledge.jobs import ingest_document
from backend.lib.errors import DomainError
from backend.lib.platform import Platform
from backend.lib.tenancy import TenantContext
from common.models import Creator

SUFFIXES = {".pdf", ".docx", ".txt", ".md", ".markdown"}


async def _ingest(platform: Platform, workspace: uuid.UUID, folder: Path, tags: list[str]) -> int:
    """Ingest every document of `folder`, one after the other; `platform` comes with its feature services
    (the CLI opens them) and is closed at the end."""
    failures = 0
    try:
        tenant = TenantContext(workspace)
        async with platform.db.session(tenant) as db:
            if await db.get(Creator, workspace) is None:
                print(f"no workspace {workspace}", file=sys.stderr)
                return 2
        files = await asyncio.to_thread(
            lambda: sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in SUFFIXES)
        )
        for path in files:
            started = time.perf_counter()
            data = await asyncio.to_thread(path.read_bytes)
            try:
                kind = service.check_upload(data, path.name, platform.settings.max_upload_bytes)
            except DomainError as exc:
                print(f"skip  {path.name}: {exc.detail}")
                failures += 1
                continue
            async with platform.db.session(tenant) as db:
                doc = await service.create(db, workspace, data, path.name, kind, None, tags)
                await db.commit()
            outcome = await ingest_document(
                {"platform": platform}, creator_id=str(workspace), document_id=str(doc.id), version=doc.version
            )
            async with platform.db.session(tenant) as db:
                final = await service.get(db, doc.id)
            failures += outcome != "ready"
            print(
                f"{outcome:<6} {path.name}: {final.chunk_count} passages in {time.perf_counter() - started:.1f}s"
                + (f" ({final.error})" if final.error else "")
            )
    finally:
        await platform.close()
    return 1 if failures else 0


def ingest_folder(open_platform: Callable[[], Platform], workspace_id: str, folder: str, tags: list[str]) -> int:
    """`open_platform` builds the platform and its services inside the command's event loop."""
    path = Path(folder)
    if not path.is_dir():
        print(f"not a folder: {folder}", file=sys.stderr)
        return 2

    async def run() -> int:
        return await _ingest(open_platform(), uuid.UUID(workspace_id), path, service.clean_tags(tags))

    return asyncio.run(run())
