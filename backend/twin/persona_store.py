"""Persona versions: which one speaks, edits as new versions, approval, and the synthesis job."""

from __future__ import annotations

import asyncio
import functools
import json
import random
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np
import structlog
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from backend.lib.cache import TenantMemo, tenant_key
from backend.lib.errors import Conflict, NotFound
from backend.lib.platform import Platform
from backend.lib.principal import Principal
from backend.lib.tenancy import TenantContext
from backend.twin.persona import PersonaProfile, llm_card_prompt, synthesize
from common.enums import PrincipalKind
from common.models import Chunk, Creator, Document, Persona

log = structlog.get_logger()
SAMPLE_PASSAGES = 400
DEFAULT_CARD = (
    "A thoughtful coach who answers from their own published material, quotes it faithfully and "
    "suggests one practical next step."
)


@dataclass
class Speaking:
    """The persona a reply is written with (a synthesized version, or a plain default before any)."""

    name: str
    card: str
    principles: list[str]
    profile_obj: PersonaProfile | None
    version: int | None

    def not_found_reply(self) -> str:
        you = self.profile_obj.address_form if self.profile_obj else "you"
        return (
            f"I have not written about that, so I will not guess. Ask me about what my material covers and "
            f"I will answer {you} from it."
            if you == "you"
            else f"I have not written about that, {you}, so I will not guess at it. Ask me about what my "
            "teaching covers and I will answer from it."
        )


def _speaking(row: Persona | None, workspace_name: str) -> Speaking:
    if row is None:
        return Speaking(workspace_name, DEFAULT_CARD, [], None, None)
    profile = PersonaProfile.from_dict(row.profile) if row.profile else None
    return Speaking(row.name, row.card, list(row.principles), profile, row.version)


async def latest(db: AsyncSession) -> Persona | None:
    return (await db.execute(select(Persona).order_by(col(Persona.version).desc()).limit(1))).scalar_one_or_none()


async def approved(db: AsyncSession) -> Persona | None:
    return (await db.execute(select(Persona).where(col(Persona.status) == "approved"))).scalar_one_or_none()


# What speaks, per tenant and audience, kept in each process until a version is saved or approved or the
# workspace is renamed (`changed`): a chat turn reads it with one Redis GET instead of two queries.
_SPEAKING: TenantMemo[Speaking] = TenantMemo("persona")


async def _load_speaking(db: AsyncSession, principal: Principal) -> Speaking:
    row = await approved(db)
    if principal.kind is PrincipalKind.staff or row is None:
        row = await latest(db) or row
    creator = await db.get(Creator, principal.creator_id)
    return _speaking(row, creator.name if creator else "the coach")


async def speaking(platform: Platform, db: AsyncSession, principal: Principal) -> Speaking:
    """Members hear the approved persona; staff in the playground hear the newest version they work on."""
    audience = "staff" if principal.kind is PrincipalKind.staff else "member"
    return await _SPEAKING.get(platform.redis, principal.creator_id, audience, lambda: _load_speaking(db, principal))


async def changed(platform: Platform, creator_id: uuid.UUID) -> None:
    """After committing a new or approved version (or a workspace rename): chat turns reload what speaks."""
    await _SPEAKING.changed(platform.redis, creator_id)


async def _next_version(db: AsyncSession) -> int:
    return int((await db.execute(select(func.coalesce(func.max(Persona.version), 0)))).scalar_one()) + 1


async def save_version(
    db: AsyncSession,
    creator_id: uuid.UUID,
    *,
    name: str,
    card: str,
    principles: list[str],
    profile: dict[str, Any],
    source: str,
    created_by: uuid.UUID | None,
    llm_card: str | None = None,
) -> Persona:
    row = Persona(
        creator_id=creator_id,
        version=await _next_version(db),
        status="draft",
        source=source,
        name=name,
        card=card,
        principles=principles,
        profile=profile,
        llm_card=llm_card,
        created_by=created_by,
    )
    db.add(row)
    await db.flush()
    return row


async def approve(db: AsyncSession, version: int) -> Persona:
    row = (
        await db.execute(select(Persona).where(col(Persona.version) == version).with_for_update())
    ).scalar_one_or_none()
    if row is None:
        raise NotFound(f"Persona version {version} not found")
    if row.status == "approved":
        return row
    await db.execute(update(Persona).where(col(Persona.status) == "approved").values(status="archived"))
    await db.flush()
    row.status, row.approved_at = "approved", datetime.now(UTC)
    await db.flush()
    return row


# ---- synthesis (a background job with progress a user can watch) --------------------------------------


def progress_key(creator_id: uuid.UUID) -> str:
    return tenant_key("persona_synthesis", creator_id)


async def set_progress(platform: Platform, creator_id: uuid.UUID, **state: Any) -> None:
    await platform.redis.set(progress_key(creator_id), json.dumps(state), ex=24 * 3600)


async def get_progress(platform: Platform, creator_id: uuid.UUID) -> dict[str, Any]:
    raw = await platform.redis.get(progress_key(creator_id))
    return json.loads(raw) if raw else {"status": "idle", "progress": 0.0}


async def _sample(db: AsyncSession) -> tuple[list[str], list[str]]:
    """Up to SAMPLE_PASSAGES passages spread over every ready document (ids and texts)."""
    rows = (
        await db.execute(
            select(Chunk.id, Chunk.text)  # type: ignore[call-overload]
            .join(Document, col(Document.id) == col(Chunk.document_id))
            .where(col(Document.status) == "ready")
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
    await set_progress(platform, cid, status="running", progress=0.05, step="Reading your material")
    try:
        async with platform.db.session(tenant) as db:
            ids, texts = await _sample(db)
            creator = await db.get(Creator, cid)
            name = creator.name if creator else "the coach"
        await set_progress(platform, cid, status="running", progress=0.25, step="Measuring your voice")
        embeddings = await platform.services.vectors.embeddings(cid, ids)
        if embeddings is None or len(embeddings) != len(texts):
            embeddings = await platform.services.embedder.encode(texts)
        profile: PersonaProfile = await asyncio.to_thread(
            synthesize, texts, np.asarray(embeddings), name=name, background_texts=list(generic_background())
        )
        await set_progress(platform, cid, status="running", progress=0.75, step="Writing the persona card")
        llm_card = await _llm_card(platform, profile, name)
        async with platform.db.session(tenant) as db:
            row = await save_version(
                db,
                cid,
                name=name,
                card=llm_card or profile.card,
                principles=profile.principles,
                profile=profile.to_dict(),
                source="synthesized",
                created_by=uuid.UUID(requested_by) if requested_by else None,
                llm_card=llm_card,
            )
            version = row.version
            await db.commit()
        await changed(platform, cid)
        await set_progress(platform, cid, status="done", progress=1.0, step="Ready for review", version=version)
        return version
    except Conflict as exc:
        await set_progress(platform, cid, status="failed", progress=0.0, error=exc.detail)
        return 0
    except Exception:
        log.exception("persona_synthesis_failed", creator_id=creator_id)
        await set_progress(
            platform, cid, status="failed", progress=0.0, error="Synthesis failed unexpectedly; try again."
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
