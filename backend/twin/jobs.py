"""The twin's background work: synthesizing a persona from the workspace's ready documents."""

from __future__ import annotations

import asyncio
import functools
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import structlog
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from backend.lib.errors import Conflict
from backend.lib.platform import Platform
from backend.lib.tenancy import TenantContext
from backend.twin.persona import PersonaProfile, llm_card_prompt, synthesize
from backend.twin.service import changed, save_version, set_progress
from common.enums import DocumentStatus, PersonaSource, SynthesisStatus
from common.models import Chunk, Creator, Document

log = structlog.get_logger()
T = TypeVar("T")
SAMPLE_PASSAGES = 4000  # text is cheap to read; stored vectors are fetched, only new texts are embedded


@dataclass
class Material:
    """The passages synthesis reads: chunk ids, texts and the section heading each sits under."""

    ids: list[str]
    texts: list[str]
    headings: list[str | None]


def spread_sample(rows: Sequence[T], limit: int) -> list[T]:
    """At most `limit` rows, taken evenly over the ordered rows (every document, start to end)."""
    if len(rows) <= limit:
        return list(rows)
    step = len(rows) / limit
    return [rows[int(i * step)] for i in range(limit)]


async def _material(db: AsyncSession) -> Material:
    rows = (
        await db.execute(
            select(Chunk.id, Chunk.text, Chunk.location)  # type: ignore[call-overload]
            .join(Document, col(Document.id) == col(Chunk.document_id))
            .where(col(Document.status) == DocumentStatus.ready)
            .order_by(col(Chunk.document_id), col(Chunk.ordinal))
        )
    ).all()
    if not rows:
        raise Conflict("Upload knowledge first: there is nothing ready to learn the persona from")
    rows = spread_sample(rows, SAMPLE_PASSAGES)
    return Material([str(r[0]) for r in rows], [r[1] for r in rows], [(r[2] or {}).get("heading") for r in rows])


async def synthesize_persona(ctx: dict[str, Any], *, creator_id: str, requested_by: str | None = None) -> int:
    platform: Platform = ctx["platform"]
    cid = uuid.UUID(creator_id)
    tenant = TenantContext(cid)
    await set_progress(platform, cid, status=SynthesisStatus.running, progress=0.05, step="Reading your material")
    try:
        async with platform.db.session(tenant) as db:
            material = await _material(db)
            creator = await db.get(Creator, cid)
            name = creator.name if creator else "the coach"
        await set_progress(
            platform, cid, status=SynthesisStatus.running, progress=0.25, step="Finding your themes and principles"
        )
        stored = await platform.services.vectors.embeddings(cid, material.ids)
        vectors = (lambda idx: stored[idx]) if stored is not None else None
        try:
            profile: PersonaProfile = await asyncio.to_thread(
                synthesize,
                material.texts,
                name=name,
                background_texts=list(generic_background()),
                ids=material.ids,
                headings=material.headings,
                encode=platform.services.embedder.encode_sync,
                vectors=vectors,
            )
        except ValueError as exc:  # nothing but notes and front matter
            raise Conflict(str(exc)) from exc
        await set_progress(
            platform, cid, status=SynthesisStatus.running, progress=0.75, step="Writing the persona card"
        )
        llm_card = await _llm_card(platform, profile, name)
        async with platform.db.session(tenant) as db:
            row = await save_version(
                db,
                cid,
                name=name,
                card=llm_card or profile.card,
                principles=profile.principles,
                profile=profile.to_dict(),
                source=PersonaSource.synthesized,
                created_by=uuid.UUID(requested_by) if requested_by else None,
                llm_card=llm_card,
            )
            version = row.version
            await db.commit()
        await changed(platform, cid)
        await set_progress(
            platform, cid, status=SynthesisStatus.done, progress=1.0, step="Ready for review", version=version
        )
        return version
    except Conflict as exc:
        await set_progress(platform, cid, status=SynthesisStatus.failed, progress=0.0, error=exc.detail)
        return 0
    except Exception:
        log.exception("persona_synthesis_failed", creator_id=creator_id)
        await set_progress(
            platform,
            cid,
            status=SynthesisStatus.failed,
            progress=0.0,
            error="Synthesis failed unexpectedly; try again.",
        )
        raise


@functools.cache
def generic_background() -> tuple[str, ...]:
    """Modern generic English to contrast a creator's phrasing with: the Python reference manual's prose,
    which ships with every Python. Never another tenant's corpus."""
    from pydoc_data.topics import topics

    return tuple(topics.values())


async def _llm_card(platform: Platform, profile: PersonaProfile, name: str) -> str | None:
    llm = platform.services.llm
    if (await llm.status()).mode != "llm":
        return None
    try:
        return str(await llm.chat(llm_card_prompt(profile, name))).strip() or None
    except Exception:  # the deterministic card stands in when the model fails
        log.warning("llm_card_failed")
        return None
