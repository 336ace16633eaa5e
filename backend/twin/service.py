"""Persona versions: which one speaks, edits as new versions, approval, and the synthesis job's progress
(the job itself: `jobs.synthesize_persona`)."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import structlog
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from backend.lib.cache import TenantMemo, tenant_key
from backend.lib.db import after_commit
from backend.lib.errors import NotFound
from backend.lib.platform import Platform
from backend.lib.principal import Principal
from backend.twin.persona import PersonaProfile
from common.enums import PersonaSource, PersonaStatus, PrincipalKind, Role, SynthesisStatus
from common.models import Creator, Persona

log = structlog.get_logger()
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
    return (await db.execute(select(Persona).where(col(Persona.status) == PersonaStatus.approved))).scalar_one_or_none()


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
    source: PersonaSource,
    created_by: uuid.UUID | None,
    llm_card: str | None = None,
) -> Persona:
    row = Persona(
        creator_id=creator_id,
        version=await _next_version(db),
        status=PersonaStatus.draft,
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
    if row.status == PersonaStatus.approved:
        return row
    await db.execute(
        update(Persona).where(col(Persona.status) == PersonaStatus.approved).values(status=PersonaStatus.archived)
    )
    await db.flush()
    row.status, row.approved_at = PersonaStatus.approved, datetime.now(UTC)
    await db.flush()
    return row


# ---- synthesis (a background job with progress a user can watch) --------------------------------------


def progress_key(creator_id: uuid.UUID) -> str:
    return tenant_key("persona_synthesis", creator_id)


async def set_progress(platform: Platform, creator_id: uuid.UUID, **state: Any) -> None:
    await platform.redis.set(progress_key(creator_id), json.dumps(state), ex=24 * 3600)


async def get_progress(platform: Platform, creator_id: uuid.UUID) -> dict[str, Any]:
    raw = await platform.redis.get(progress_key(creator_id))
    return json.loads(raw) if raw else {"status": SynthesisStatus.idle, "progress": 0.0}


async def versions(db: AsyncSession) -> list[Persona]:
    """Every version, newest first."""
    return list((await db.execute(select(Persona).order_by(col(Persona.version).desc()))).scalars())


async def version(db: AsyncSession, number: int) -> Persona:
    row = (await db.execute(select(Persona).where(col(Persona.version) == number))).scalar_one_or_none()
    if row is None:
        raise NotFound(f"Persona version {number} not found")
    return row


def changed_after_commit(platform: Platform, db: AsyncSession, creator_id: uuid.UUID) -> None:
    """Once the persona change commits, tell the chat's persona caches (they must not reload the old one)."""
    after_commit(db, lambda: changed(platform, creator_id))


async def edit(
    platform: Platform,
    db: AsyncSession,
    principal: Principal,
    card: str,
    principles: list[str],
    name: str | None,
    approve_it: bool,
) -> Persona:
    """Save an edited card and principles as a new version (approved at once only for an admin)."""
    base = await latest(db)
    row = await save_version(
        db,
        principal.creator_id,
        name=name or (base.name if base else "Coach"),
        card=card,
        principles=principles,
        profile=dict(base.profile) if base else {},
        source=PersonaSource.edited,
        created_by=principal.subject_id,
    )
    if approve_it and principal.role is not None and principal.role.at_least(Role.admin):
        row = await approve(db, row.version)
    changed_after_commit(platform, db, principal.creator_id)
    return row


async def approve_version(platform: Platform, db: AsyncSession, creator_id: uuid.UUID, number: int) -> Persona:
    row = await approve(db, number)
    changed_after_commit(platform, db, creator_id)
    return row


async def request_synthesis(platform: Platform, principal: Principal) -> None:
    """Learn the persona from the workspace's ready documents, in the background (`jobs.synthesize_persona`)."""
    await set_progress(platform, principal.creator_id, status=SynthesisStatus.queued, progress=0.0, step="Queued")
    await platform.services.jobs.enqueue(
        "synthesize_persona",
        key=f"persona:{principal.creator_id}",
        creator_id=str(principal.creator_id),
        requested_by=str(principal.subject_id),
    )
