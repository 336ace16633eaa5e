"""How much of a reader's list (tests/twin/readers_lists.json) a synthesized persona recovers.

A reader's theme counts as recovered when a synthesized theme's label or key phrases hold one of its
terms; a reader's principle when one synthesized principle holds a word from each of its groups. Each
synthesized theme or principle can stand for one reader's item only (the largest one-to-one matching).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from backend.twin.persona import PersonaProfile

READERS = json.loads((Path(__file__).parent / "readers_lists.json").read_text())


def _has(text: str, term: str) -> bool:
    text = text.lower()
    if " " in term:
        return term in text
    return re.search(rf"\b{re.escape(term)}", text) is not None


def _match(items: list[Any], found: list[str], hit: Any) -> list[str]:
    """The largest one-to-one matching of reader's items to synthesized texts (augmenting paths)."""
    edges = [[j for j, text in enumerate(found) if hit(item, text)] for item in items]
    owner: dict[int, int] = {}  # synthesized text -> reader's item

    def assign(i: int, seen: set[int]) -> bool:
        for j in edges[i]:
            if j not in seen:
                seen.add(j)
                if j not in owner or assign(owner[j], seen):
                    owner[j] = i
                    return True
        return False

    matched = {i for i in range(len(items)) if assign(i, set())}
    return [items[i]["name"] for i in sorted(matched)]


def recovered(profile: PersonaProfile, reader: dict[str, Any]) -> dict[str, list[str]]:
    themes = [" ".join([t.label, *t.key_phrases]) for t in profile.themes]
    return {
        "themes": _match(reader["themes"], themes, lambda item, text: any(_has(text, w) for w in item["terms"])),
        "principles": _match(
            reader["principles"],
            profile.principles,
            lambda item, text: all(any(_has(text, w) for w in group) for group in item["groups"]),
        ),
    }


def recovery(profile: PersonaProfile, reader: dict[str, Any]) -> dict[str, float]:
    got = recovered(profile, reader)
    return {
        "themes": round(len(got["themes"]) / len(reader["themes"]), 3),
        "principles": round(len(got["principles"]) / len(reader["principles"]), 3),
    }
