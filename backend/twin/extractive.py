"""The offline answer: the creator's own sentences, chosen for the question, stitched and cited. No LLM."""

from __future__ import annotations

import itertools
import math
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from backend.twin.persona import PersonaProfile
from backend.twin.style import content_words, sentences, word_set, words

# Words that make a question a question but say nothing about its topic.
_QUESTION_FILLER = word_set("""
how what why when where who which whom whose can could should would will shall may might must does did doing
get got make made want wanted need needed know tell help thing things way ways really something anything
best good better use using like feel think try trying keep able going lot much many often always never deal
handle cope manage stop start become find people someone person
""")

EXTRACTIVE_NOTE = "_(Quoted from my writings: the conversational model is offline right now.)_"
_FRAMES = {
    "you": "Here is what I have written that bears on your question:",
    "thou": "Hear what I have written that bears on thy question:",
    "friend": "My friend, here is what I have written that bears on your question:",
}
_NEUTRAL_FRAME = "Here is what the source material says on your question:"


@dataclass
class Passage:
    id: str
    text: str
    score: float
    document_id: str = ""
    document_title: str = ""
    location: dict[str, Any] = field(default_factory=dict)


def _stem(w: str) -> str:
    # Crude suffix stripping: enough to match "fears"/"fearing"/"fear" without a stemmer dependency.
    for suf in ("ings", "ing", "edly", "ed", "ness", "ies", "es", "s", "ly"):
        if w.endswith(suf) and len(w) - len(suf) >= 3:
            return w[: -len(suf)] + ("y" if suf == "ies" else "")
    return w


def topic_terms(text: str) -> set[str]:
    return {_stem(w) for w in content_words(text) if w not in _QUESTION_FILLER}


def lexical_overlap(question: str, text: str) -> float:
    """Share of the question's topic terms that the text uses (0..1)."""
    q = topic_terms(question)
    return len(q & topic_terms(text)) / len(q) if q else 0.0


def is_grounded(
    question: str,
    passages: list[Passage],
    *,
    min_score: float = 0.30,
    strong_score: float = 0.42,
    min_overlap: float = 0.25,
    top_k: int = 3,
) -> bool:
    """Did retrieval find something that answers? A high score alone suffices; a middling one needs
    the top passages to share topic words with the question (semantic near-misses share only mood).

    Defaults measured with MiniLM cosine on the Seneca corpora (tests/twin/test_extractive.py): off-topic
    questions scored 0.09-0.23, on-topic ones 0.38-0.70 (best passage of ~370 chunks of ~100 words).
    """
    if not passages:
        return False
    top = sorted(passages, key=lambda p: -p.score)[:top_k]
    best = top[0].score
    if best >= strong_score:
        return True
    if best < min_score:
        return False
    return max(lexical_overlap(question, p.text) for p in top) >= min_overlap


def _usable(phrase: str) -> bool:
    # A persona opener/closer is reused verbatim only if it is a whole short sentence naming nobody.
    ws = phrase.split()
    return 1 <= len(ws) <= 8 and phrase.rstrip()[-1:] in ".!" and not any(w[:1].isupper() for w in ws[1:])


def compose_extractive(
    question: str,
    passages: list[Passage],
    profile: PersonaProfile | None,
    *,
    max_sentences: int = 4,
    max_passages: int = 5,
    note: str | None = EXTRACTIVE_NOTE,
) -> tuple[str, list[Passage]]:
    """Pick the sentences most relevant to the question, quote them with [n] markers, frame in the persona."""
    top = sorted(passages, key=lambda p: -p.score)[:max_passages]
    q = topic_terms(question)
    split = [[s for s in sentences(p.text) if 6 <= len(words(s)) <= 60] for p in top]
    df = Counter(t for sents in split for s in sents for t in topic_terms(s))
    n_sents = max(1, sum(len(s) for s in split))
    cands: list[tuple[float, int, int]] = []
    for rank, (p, sents) in enumerate(zip(top, split, strict=True)):
        for pos, s in enumerate(sents):
            terms = topic_terms(s)
            lex = sum(math.log(1 + n_sents / df[t]) for t in q & terms)
            # Lexical match first; retrieval score, passage rank and early position break ties.
            score = lex + 2.0 * p.score - 0.15 * rank - 0.05 * pos
            cands.append((score, rank, pos))
    cands.sort(reverse=True)
    picked: dict[int, list[int]] = {}
    for _, rank, pos in cands:
        if sum(len(v) for v in picked.values()) >= max_sentences:
            break
        if len(picked.get(rank, [])) < 2:  # at most two sentences a passage: spread the citations
            picked.setdefault(rank, []).append(pos)
    form = profile.address_form if profile else ""
    cited: list[Passage] = []
    quotes: list[str] = []
    for rank in sorted(picked):
        positions = sorted(picked[rank])
        parts = [split[rank][positions[0]]]
        for prev, pos in itertools.pairwise(positions):
            parts.append(split[rank][pos] if pos == prev + 1 else "… " + split[rank][pos])
        cited.append(top[rank])
        quotes.append(f"“{' '.join(parts)}” [{len(cited)}]")
    if not quotes:  # nothing quotable: say so rather than stitch an empty answer
        empty = (
            "I find nothing in my writings that answers thy question."
            if form == "thou"
            else ("I find nothing in my writings that answers your question.")
        )
        return empty, []
    opener = next((o for o in (profile.openers if profile else []) if _usable(o)), None)
    frame = _FRAMES.get(form, _NEUTRAL_FRAME) if profile else _NEUTRAL_FRAME
    closer = next((c for c in (profile.closers if profile else []) if _usable(c)), None)
    body = [opener + " " + frame if opener else frame, *quotes]
    if closer:
        body.append(closer)
    if note:
        body.append(note)
    return "\n\n".join(body), cited


CITATION_RE = re.compile(r"\[(\d+)\]")
