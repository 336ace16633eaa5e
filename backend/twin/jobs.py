"""The twin's background work: synthesizing a persona from the workspace's ready documents."""

from __future__ import annotations

import asyncio
import functools
import random
import uuid
from typing import Any

import numpy as np
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
SAMPLE_PASSAGES = 400


async def _sample(db: AsyncSession) -> tuple[list[str], list[str]]:
    """Up to SAMPLE_PASSAGES passages spread over every ready document (ids and texts)."""
    rows = (
        await db.execute(
            select(Chunk.id, Chunk.text)  # type: ignore[call-overload]
            .join(Document, col(Document.id) == col(Chunk.document_id))
            .where(col(Document.status) == DocumentStatus.ready)
            .order_by(col(Chunk.document_id), col(Chunk.ordinal))
        )
    ).all()
    if not rows:
        raise Conflict("Upload knowledge first: there is nothing ready to learn the persona from")
    if len(rows) > SAMPLE_PASSAGES:
        rows = sorted(random.Random(7).sample(rows, SAMPLE_PASSAGES), key=lambda r: str(r[0]))
    return [str(r[0]) for r in rows], [r[1] for r in rows]


async def synthesize_persona(ctx: dict[str, Any], *, creator_id: str, requested_by: str | None = None) -> int:
    platform: Platform = ctx["platform"]
    cid = uuid.UUID(creator_id)
    tenant = TenantContext(cid)
    await set_progress(platform, cid, status=SynthesisStatus.running, progress=0.05, step="Reading your material")
    try:
        async with platform.db.session(tenant) as db:
            ids, texts = await _sample(db)
            creator = await db.get(Creator, cid)
            name = creator.name if creator else "the coach"
        await set_progress(platform, cid, status=SynthesisStatus.running, progress=0.25, step="Measuring your voice")
        embeddings = await platform.services.vectors.embeddings(cid, ids)
        if embeddings is None or len(embeddings) != len(texts):
            embeddings = await platform.services.embedder.encode(texts)
        profile: PersonaProfile = await asyncio.to_thread(
            synthesize, texts, np.asarray(embeddings), name=name, background_texts=list(generic_background())
        )
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
