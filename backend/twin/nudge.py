"""A proactive nudge written by the twin on a topic the creator names: the same retrieval, grounding check and
reply (LLM when it answers, extractive otherwise) as a chat turn, so it is always cited, or not sent as advice
at all when the creator's material does not speak to the topic."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from backend.knowledge.search import search
from backend.lib.platform import Platform
from backend.lib.principal import Principal
from backend.twin import calibration, service
from backend.twin.chat import TOP_K, _calibration, _citation, _generate, _llm, _passages
from backend.twin.grounding import decide, screen
from common.enums import PrincipalKind, ReplyMode


@dataclass(frozen=True, slots=True)
class Nudge:
    text: str
    mode: ReplyMode | None
    grounded: bool
    citations: list[dict[str, Any]] = field(default_factory=list)


def _as_member(creator_id: uuid.UUID) -> Principal:
    """Members hear the approved persona: the nudge is spoken by it."""
    return Principal(PrincipalKind.member, uuid.uuid4(), creator_id, None, uuid.uuid4(), 0)


async def write(platform: Platform, db: AsyncSession, creator_id: uuid.UUID, topic: str) -> Nudge:
    """The twin's message on `topic`, cited; a plain check-in with no advice when nothing grounds it."""
    persona = await service.speaking(platform, db, _as_member(creator_id))
    s = screen(topic)
    vector = await platform.services.embedder.encode_one(topic)
    hits = await search(platform, db, creator_id, topic, TOP_K, query_vector=vector)
    if hits:
        null = await _calibration(platform, db, creator_id)
        domain = (await calibration.domain_model(platform.services.embedder)).score(vector)
        if decide(s, domain, hits, null).grounded:
            reply, mode, used = await _generate(
                await _llm(platform), persona, [], [], topic, hits, _passages(hits), None
            )
            return Nudge(reply, mode, True, [_citation(hits[i]) for i in used])
    you = persona.profile_obj.address_form if persona.profile_obj else "you"
    return Nudge(f"It has been a little while. How are {you} getting on with {topic}?", None, False)
