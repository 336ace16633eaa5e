"""What the grounding gate compares a question with: two fixed banks of questions, and each workspace's null.

Measured on the twin-quality harness (tests/bench/retrieval/README.md), retrieval scores alone separate
questions a coach should answer from those it should refuse poorly: a trap like "When was Plato born?" finds
a passage naming Plato that scores higher than half of the real questions. What separates them well is the
*kind* of question. So the gate asks two things:

1. **Is this a coaching question?** The question's closeness to a bank of generic coaching questions
   (`COACHING_QUESTIONS`: feelings, relationships, habits, purpose, loss...) minus its closeness to a bank of
   everyday questions no coaching material answers (`NULL_QUESTIONS`: car repair, software, cooking,
   geography...): mean of the 3 nearest of each (`DomainModel`). No weight is fitted; the threshold
   (`DOMAIN_MIN`) was fitted leave-one-creator-out. Neither bank shares a question with the harness.
2. **Does this creator's material reach it?** The best passage must score above what the workspace's own
   corpus gives an unrelated question on average (the null bank's mean best score, `Calibration.floor`):
   a large corpus offers more passages for anything to brush against, so the floor is per workspace.

The workspace calibration is computed once per corpus state (the key carries the workspace's passage count
and the time its lexical statistics were last refreshed, which every indexing or deletion updates), on the
first chat turn that needs it, and kept in Redis.
"""

from __future__ import annotations

import json
import statistics
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from backend.lib.cache import tenant_key
from backend.lib.platform import Platform

NULL_QUESTIONS: tuple[str, ...] = (
    "How often should I change the oil in a diesel van?",
    "What is the difference between RAM and storage on a computer?",
    "How do I install a ceiling fan?",
    "What is the best way to store fresh basil?",
    "Which tennis racket is good for beginners?",
    "How long does it take to fly from London to Sydney?",
    "How do I clean a cast iron skillet?",
    "What programming language should I learn first for web development?",
    "What is the tallest mountain in South America?",
    "How do I remove a red wine stain from a carpet?",
    "What temperature should I roast a chicken at?",
    "How do I replace the battery in a smoke detector?",
    "What are the best board games for a family night?",
    "How do solar panels generate electricity?",
    "What is the offside rule in soccer?",
    "How do I back up photos from my phone to the cloud?",
    "Which paint finish is best for a bathroom wall?",
    "How do I fix a squeaky door hinge?",
    "What is the exchange rate between euros and dollars?",
    "How do I knit a scarf for the first time?",
    "What is the best fertilizer for a lemon tree?",
    "How do airplanes stay in the air?",
    "Which streaming service has the most documentaries?",
    "How do I update the drivers on my graphics card?",
    "What are the main ingredients of a Thai green curry?",
    "How do I jump-start a car with a dead battery?",
    "What is the speed of light in a vacuum?",
    "How many players are on a volleyball team?",
    "How do I make cold brew coffee at home?",
    "What is the difference between a crocodile and an alligator?",
    "How do I set up a home aquarium for goldfish?",
    "What size bike frame do I need for my height?",
    "How do I descale an electric kettle?",
    "Which camping tent is best for heavy rain?",
    "How do vaccines get approved in the European Union?",
    "What is the best way to learn to touch type?",
    "How do I sync my calendar between two laptops?",
    "What is the boiling point of water at high altitude?",
    "How do I repot an orchid?",
    "Which hiking trails are open in winter in the Alps?",
    "How does a dishwasher heat its water?",
    "What are good snacks for a children's birthday party?",
    "How do I choose a mattress for back sleepers?",
    "What is the history of the bicycle?",
    "How do I convert a video file to MP4?",
    "Which houseplants are safe for cats?",
    "How do I patch a hole in drywall?",
    "What are the rules of chess castling?",
    "How do I make my website load faster?",
    "What is a good route for a road trip across Scotland?",
    "What is utilitarianism in simple terms?",
    "Who founded the Roman Republic?",
    "What did Descartes mean by 'I think, therefore I am'?",
)
COACHING_QUESTIONS: tuple[str, ...] = (
    "How do I stop feeling so anxious all the time?",
    "How can I be less angry with the people around me?",
    "I feel stuck in my life. What should I do?",
    "How do I get over a painful loss?",
    "Why do I care so much about what other people think?",
    "How can I find more meaning in my work?",
    "How do I deal with a difficult family member?",
    "How can I stop overthinking everything?",
    "What makes a good friendship?",
    "How do I handle criticism without getting defensive?",
    "I feel like I'm wasting my life. How do I change that?",
    "How can I be more disciplined?",
    "How do I stay calm when things go wrong?",
    "Why am I never satisfied with what I have?",
    "How do I stop comparing myself to others?",
    "How do I face my fear of failure?",
    "How can I forgive someone who hurt me?",
    "How should I think about getting older?",
    "How do I cope with stress at work?",
    "What should I do when I feel lonely?",
    "How can I be a better parent?",
    "How do I build better habits?",
    "How do I stop worrying about money so much?",
    "I'm jealous of my friends' success. How do I stop?",
    "How do I make peace with things I can't change?",
    "How do I stay true to my values under pressure?",
    "How can I feel less afraid of dying?",
    "How do I motivate myself when I don't feel like it?",
    "How should I respond when someone insults me?",
    "How can I be happy with a simple life?",
    "How do I let go of the past?",
    "What does it mean to live a good life?",
    "How can I stop procrastinating?",
    "How do I deal with being treated unfairly?",
    "How do I handle a breakup?",
    "How can I stay hopeful when I'm ill?",
    "How do I stop people-pleasing?",
    "How do I become more patient?",
    "How can I be kinder to myself?",
    "How should I spend my free time?",
    "What is your advice on dealing with anger?",
    "What do you say about facing death?",
    "What do you teach about friendship?",
)
DOMAIN_MIN = 0.065  # coaching-bank closeness minus null-bank closeness (fitted on the harness, see README)
FLOOR_Z = 0.0  # the retrieval floor: the null mean plus this many null standard deviations
_TTL = 30 * 24 * 3600
_VERSION = text("SELECT passages, extract(epoch FROM updated_at)::bigint FROM knowledge_stats")


@dataclass(frozen=True)
class Calibration:
    """The null distribution of a workspace's best retrieval score, and the threshold it implies."""

    mean: float
    std: float
    n: int

    def floor(self, z: float = FLOOR_Z) -> float:
        return self.mean + z * self.std

    def z(self, score: float) -> float:
        return (score - self.mean) / max(self.std, 1e-6)


UNCALIBRATED = Calibration(mean=0.30, std=0.05, n=0)  # an empty workspace: nothing to answer from anyway

Scorer = Callable[[str], Awaitable[float]]


class DomainModel:
    """How much a question reads like a coaching question rather than an everyday one (unit vectors in)."""

    def __init__(self, coaching: np.ndarray, null: np.ndarray, k: int = 3) -> None:
        self.coaching, self.null, self.k = coaching, null, k

    def score(self, query: np.ndarray) -> float:
        near = np.sort(self.coaching @ query)[-self.k :].mean()
        far = np.sort(self.null @ query)[-self.k :].mean()
        return float(near - far)


_DOMAIN: dict[int, DomainModel] = {}


async def domain_model(embedder: Any) -> DomainModel:
    """The banks' vectors, computed once per process and embedder."""
    model = _DOMAIN.get(id(embedder))
    if model is None:
        vectors = await embedder.encode([*COACHING_QUESTIONS, *NULL_QUESTIONS])
        model = _DOMAIN[id(embedder)] = DomainModel(
            vectors[: len(COACHING_QUESTIONS)], vectors[len(COACHING_QUESTIONS) :]
        )
    return model


async def measure(best_score: Scorer) -> Calibration:
    """Run the null bank through `best_score` (the top retrieval score for a question, as the gate sees it)."""
    scores = [await best_score(q) for q in NULL_QUESTIONS]
    return Calibration(mean=float(np.mean(scores)), std=float(statistics.pstdev(scores)), n=len(scores))


async def _version(db: AsyncSession) -> str | None:
    row = (await db.execute(_VERSION)).first()
    return f"{row[0]}:{row[1]}" if row and row[0] else None


def _key(creator_id: uuid.UUID, version: str) -> str:
    return tenant_key("grounding", creator_id, f"null:{version}")


async def get(platform: Platform, db: AsyncSession, creator_id: uuid.UUID, best_score: Scorer) -> Calibration:
    """The workspace's calibration for its current corpus, measured (and cached) when missing."""
    version = await _version(db)
    if version is None:
        return UNCALIBRATED
    key = _key(creator_id, version)
    cached = await platform.redis.get(key)
    if cached:
        return Calibration(**json.loads(cached))
    calibration = await measure(best_score)
    await platform.redis.set(key, json.dumps(asdict(calibration)), ex=_TTL)
    return calibration
