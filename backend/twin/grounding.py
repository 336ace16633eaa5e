"""The chat turn's decisions, each in one small function: what the message is, whether retrieval answers it,
and which kind of reply it gets. `backend/twin/chat.py` runs them in order; the harness in
tests/bench/retrieval measures them with the same functions.

    screen(text)                                -> Screen: safety, small talk / out of scope, hard moment
    answerable(domain, hits, calibration)       -> bool: do the passages answer? (the grounding gate)
    decide(screen, domain, hits, calibration)   -> Decision: which reply to give

`domain` is how much the question reads like a coaching question (`DomainModel.score`), `calibration` the
workspace's null distribution (backend/twin/calibration.py explains both and how they were chosen).

A place for further rules (a creator's approved corrections, say) is `decide`: it sees the screen, the
passages and the gate's verdict, and returns what the turn should do.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

from backend.twin.calibration import DOMAIN_MIN, Calibration
from backend.twin.intents import Intent, classify
from backend.twin.safety import SafetyVerdict, assess, hard_moment

Reply = Literal["safety", "smalltalk", "out_of_scope", "answer", "not_found"]


class Scored(Protocol):
    score: float


@dataclass(frozen=True)
class Screen:
    """What the message is, decided before any retrieval."""

    verdict: SafetyVerdict
    intent: Intent | None  # small talk or an out-of-scope request; None for a question
    moment: str | None  # a hard moment (grief, illness, breakup, burnout) that is not a crisis

    @property
    def retrieve(self) -> bool:
        """Whether the turn searches the creator's material at all."""
        return not self.verdict.flagged and self.intent is None


@dataclass(frozen=True)
class Decision:
    reply: Reply
    grounded: bool
    score: float  # the best passage's score (0 without retrieval)
    domain: float  # how much the question reads like a coaching question (0 without retrieval)


def screen(text: str) -> Screen:
    verdict = assess(text)
    if verdict.flagged:
        return Screen(verdict, None, None)
    moment = hard_moment(text)
    intent = classify(text)
    if moment and intent and intent.kind == "smalltalk":
        intent = None  # "thanks, my mum died last week" is not small talk
    return Screen(verdict, intent, moment)


def best_score(hits: Sequence[Scored]) -> float:
    return max((h.score for h in hits), default=0.0)


def answerable(domain: float, hits: Sequence[Scored], calibration: Calibration, domain_min: float = DOMAIN_MIN) -> bool:
    """The grounding gate: a coaching question, and the creator's material reaches it (its best passage scores
    above what this corpus gives an unrelated question on average)."""
    return bool(hits) and domain >= domain_min and best_score(hits) >= calibration.floor()


def decide(s: Screen, domain: float, hits: Sequence[Scored], calibration: Calibration) -> Decision:
    if s.verdict.flagged:
        return Decision("safety", False, 0.0, 0.0)
    if s.intent is not None:
        return Decision(s.intent.kind, False, 0.0, 0.0)  # type: ignore[arg-type]
    grounded = answerable(domain, hits, calibration)
    return Decision("answer" if grounded else "not_found", grounded, best_score(hits), domain)
