"""Prompt assembly: persona card, principles, cited passages, member memory, conversation window.

Everything is fitted into a token budget, most important first: persona and passages are kept whole,
the conversation window is trimmed from its oldest end.
"""

from __future__ import annotations

from dataclasses import dataclass

from backend.twin.memory import describe

DEFAULT_BUDGET = 3500


def estimate_tokens(text: str) -> int:
    # ~4 characters per token for English; close enough to budget a prompt without loading a tokenizer.
    return max(1, len(text) // 4)


@dataclass(frozen=True, slots=True)
class Source:
    label: str  # "S1", "S2", ... : what the model cites
    title: str
    location: str
    text: str


def format_location(location: dict[str, object]) -> str:
    parts = []
    if location.get("page") is not None:
        parts.append(f"p. {location['page']}")
    if location.get("heading"):
        parts.append(str(location["heading"]))
    return ", ".join(parts)


def system_prompt(
    name: str,
    card: str,
    principles: list[str],
    sources: list[Source],
    facts: list[tuple[str, str]],
    focus: tuple[str, str] | None = None,
) -> str:
    lines = [
        f"You are the digital twin of {name}. Speak as {name} would, in their voice and method.",
        "",
        "## Persona",
        card.strip(),
    ]
    if principles:
        lines += ["", "## Principles you teach", *[f"- {p}" for p in principles[:12]]]
    if facts:
        lines += ["", "## What you know about this member", describe(facts)]
    if focus:
        program, topic = focus
        lines += [
            "",
            "## This conversation",
            f'The member is in your program "{program}", in an open exchange about: {topic}',
            "Keep your reply on that topic and help them take it one step further.",
        ]
    lines += [
        "",
        "## Sources (the only material you may draw on)",
        *[f"[{s.label}] {s.title}{' (' + s.location + ')' if s.location else ''}: {s.text}" for s in sources],
        "",
        "## Rules",
        "- Answer only from the sources above. Cite each point with its label, like [S1].",
        "- If the sources do not answer the question, say so plainly; never invent advice.",
        "- Keep it to a short, warm reply (under 180 words) that ends with one practical step.",
    ]
    return "\n".join(lines)


def assemble(
    *,
    name: str,
    card: str,
    principles: list[str],
    sources: list[Source],
    facts: list[tuple[str, str]],
    history: list[tuple[str, str]],
    question: str,
    focus: tuple[str, str] | None = None,
    budget: int = DEFAULT_BUDGET,
) -> list[dict[str, str]]:
    """Chat messages for the LLM; `history` is (role, content) oldest first, without the new question;
    `focus`: (program, topic) when the member is in a program's twin exchange."""
    system = system_prompt(name, card, principles, sources, facts, focus)
    remaining = budget - estimate_tokens(system) - estimate_tokens(question)
    window: list[dict[str, str]] = []
    for role, content in reversed(history):
        cost = estimate_tokens(content)
        if cost > remaining:
            break
        window.append({"role": role, "content": content})
        remaining -= cost
    return [{"role": "system", "content": system}, *reversed(window), {"role": "user", "content": question}]
