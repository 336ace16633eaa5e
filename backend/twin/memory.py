"""Member memory: durable facts (goals, preferences, situation) picked out of what members say.

Pattern-based on purpose: it runs on every message with no LLM, and a fact is only kept when the member
said it about themselves in the first person.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    (
        "goal",
        re.compile(
            r"\b(?:my goal is|i want to|i'd like to|i would like to|i'm trying to|i am trying to|i hope to"
            r"|i plan to)\s+([^.!?\n]{3,160})",
            re.I,
        ),
    ),
    (
        "preference",
        re.compile(r"\b(?:i prefer|i like|i love|i enjoy|i hate|i dislike|i can't stand)\s+([^.!?\n]{3,160})", re.I),
    ),
    (
        "situation",
        re.compile(
            r"\b(?:i am|i'm|i work as|i work at|i live in|i have)\s+"
            r"((?:a|an|the|\d+|two|three|four|five|my|in|at|with|been|recently|currently|newly)\b[^.!?\n]{2,160})",
            re.I,
        ),
    ),
]
_NEGATED = re.compile(r"\b(?:not|never|no longer|don't|do not)\b", re.I)
MAX_FACTS_IN_PROMPT = 8


@dataclass(frozen=True, slots=True)
class Fact:
    kind: str
    text: str


def extract_facts(message: str) -> list[Fact]:
    facts: list[Fact] = []
    for kind, pattern in _PATTERNS:
        for match in pattern.finditer(message):
            clause = match.group(0).strip().rstrip(",;: ")
            if kind == "situation" and _NEGATED.search(clause):
                continue
            text = clause[0].upper() + clause[1:]
            if all(f.text.lower() != text.lower() for f in facts):
                facts.append(Fact(kind, text[:300]))
    return facts


def describe(facts: list[tuple[str, str]]) -> str:
    """The facts as prompt lines, most recent first (the caller orders them)."""
    return "\n".join(f"- ({kind}) {text}" for kind, text in facts[:MAX_FACTS_IN_PROMPT])
