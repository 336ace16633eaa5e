"""Principles: the creator's most central normative statements, one or two per theme, in their own words.

A principle is a complete sentence that tells the reader what to do or what is so ("Take away thy opinion,
and then there is taken away the complaint"), not a step of an argument ("For this man also is one of
those..."), not a line of dialogue, not a remark about a named third party, and not a question. Among
those, the ones that carry their theme's heaviest phrases and sit in passages most about that theme win.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from backend.twin.keyphrases import candidates, clauses, lemma_key, tags
from backend.twin.style import STOPWORDS, content_words, is_imperative, words
from backend.twin.themes import Encode, Topics

MAX_PRINCIPLES = 8
RERANKED = 12  # candidates per theme whose meaning is compared with the theme's centre
_MODAL = re.compile(
    r"\b(must|should|ought|need not|needs? to|let us|let him|let it|let no|do not|don't|never|always|"
    r"it is (?:better|best|necessary|right|shameful|the part of)|no one can|nobody can|cannot be)\b",
    re.I,
)
_GNOMIC = re.compile(
    r"\b(?:is|are|was) (?:not |no |nothing |never )?(?:the )?(?:good|evil|better|best|worse|worst|shameful|"
    r"necessary|enough|free|happy|wise|foolish|vain|short|long|possible|impossible|natural|nothing|"
    r"in (?:our|my|thy|your) power)\b|\b(?:no man|nothing is|he who|whoever|whatever|every man|everything)\b",
    re.I,
)
# Openings that lean on the sentence before ("For...", "Therefore...") or point at a particular person.
_DEPENDENT_START = re.compile(
    r"^(?:for|but|and|so|therefore|thus|hence|then|yet|nay|or|now|again|also|such|this|that|these|there|here|"
    r"accordingly|besides|moreover|still|once|when|what|which|he|she|they|his|her|their|him|them|it|who)\b(?!\s+who)",
    re.I,
)
_GENERAL_START = re.compile(
    r"^(?:it is (?:not |no |a |the )?(?:better|best|necessary|impossible|possible|right|shameful|part|easy|hard|"
    r"foolish|enough|that)|he who|they who|those who|that which)\b",
    re.I,
)
# Spoken to the reader or about anyone: "thou", "you", "we", "a man", "no one".
_GENERAL = re.compile(
    r"\b(?:thou|thee|thy|thyself|you|your|yourself|we|us|our|a man|no man|every man|one|no one)\b", re.I
)
# About particular others: "them", "his", unless it is "he who" / "those who".
_THIRD = re.compile(r"\b(?:he|him|his|she|her|they|them|their)\b(?!\s+who)", re.I)
# Someone spoken to in a scene (", child,") or a turn of an argument ("Well, ...").
_SCENE = re.compile(r",\s(?:child|man|fool|sir|slave|friend|madman|wretch)[,!.]|^well\b", re.I)
_NARRATIVE = re.compile(
    r"^(?:suppose|since|in fact|without it|the reason|i am|i was|i have|i had|i do|i did|i said|i know|i think)\b", re.I
)


@dataclass
class Principle:
    text: str
    theme: int  # index of the theme it is central to
    passage: int  # index of the passage it comes from


def _names(sentence: str) -> bool:
    """A capitalised word inside the sentence that English does not know: a person or place."""
    return any(not tags(m.group(0).lower()) for m in re.finditer(r"(?:(?<=\s)|^)[A-Z][a-z]+", sentence))


def _verse(sentence: str) -> bool:
    """A quoted line of verse: a capitalised function word inside the sentence ("..., Whom never foe")."""
    return any(m.group(0).lower() in STOPWORDS for m in re.finditer(r"(?<=[\s,;])[A-Z][a-z]+", sentence))


def _normative(sentence: str) -> float:
    if is_imperative(sentence) or _MODAL.search(sentence):
        return 1.0
    return 0.6 if _GNOMIC.search(sentence) else 0.0


def candidate_ok(sentence: str) -> bool:
    s = sentence.strip()
    n = len(words(s))
    if not 6 <= n <= 35 or s[-1:] not in ".!" or not s[:1].isupper():
        return False
    if any(q in s for q in "\"“”‘'") and not re.fullmatch(r"[^\"“”‘]*['’][a-z][^\"“”‘]*", s):
        return False  # dialogue and quotations (an apostrophe inside a word is fine)
    if (_DEPENDENT_START.match(s) and not _GENERAL_START.match(s)) or _NARRATIVE.match(s) or _SCENE.search(s):
        return False
    return not _names(s) and not _verse(s)


def _phrase_keys(sentence: str) -> set[str]:
    return {" ".join(lemma_key(p)) for toks in clauses(sentence) for p in candidates(toks)}


def select(
    passages: list[list[str]], topics: Topics, encode: Encode | None = None, limit: int = MAX_PRINCIPLES
) -> list[Principle]:
    """`passages`: each passage's own sentences; `topics`: backend/twin/themes.py. With `encode` (MiniLM),
    the best candidates of each theme are re-ranked by how central they are to it in meaning. Returns
    principles, the biggest themes' first."""
    members, shares, components = topics.members, topics.weights, topics.components
    column = {v: i for i, v in enumerate(topics.vocabulary)}
    per_theme: list[list[tuple[float, Principle]]] = []
    for t, idx in enumerate(members):
        weights = components[t] / max(float(components[t].max()), 1e-12)
        scored: list[tuple[float, Principle]] = []
        for p in idx:
            for sentence in passages[p]:
                if not candidate_ok(sentence):
                    continue
                norm = _normative(sentence)
                if norm == 0.0:
                    continue
                topical = sum(float(weights[column[k]]) for k in _phrase_keys(sentence) if k in column)
                n = len(words(sentence))
                general = 0.4 * bool(_GENERAL.search(sentence)) - 0.6 * bool(_THIRD.search(sentence))
                score = (
                    norm
                    + general
                    + min(topical, 1.5)
                    + 0.5 * float(shares[p, t])
                    - 0.04 * max(0, n - 20)
                    + 0.3 * (n <= 15)
                )
                scored.append((score, Principle(sentence.strip(), t, p)))
        scored.sort(key=lambda sp: -sp[0])
        per_theme.append(scored[:RERANKED])
    if encode is not None and topics.centres.shape[1]:
        per_theme = _by_meaning(per_theme, topics.centres, encode)
    chosen: list[Principle] = []
    order = sorted(range(len(members)), key=lambda t: -len(members[t]))
    for round_ in range(2):  # the best of every theme first, then a second from each while room is left
        for t in order:
            for _, cand in per_theme[t]:
                if _distinct(cand.text, chosen):
                    chosen.append(cand)
                    break
            if len(chosen) >= limit:
                return chosen
        if round_ == 0 and len(chosen) >= limit:
            break
    return chosen


def _by_meaning(
    per_theme: list[list[tuple[float, Principle]]], centres: np.ndarray, encode: Encode
) -> list[list[tuple[float, Principle]]]:
    texts = [p.text for scored in per_theme for _, p in scored]
    if not texts:
        return per_theme
    vectors = iter(encode(texts))
    overall = centres.sum(axis=0)
    overall /= max(float(np.linalg.norm(overall)), 1e-12)  # what the whole work is about
    out = []
    for t, scored in enumerate(per_theme):
        again = []
        for score, p in scored:
            v = next(vectors)
            again.append((score + 2.0 * float(v @ centres[t]) + 1.0 * float(v @ overall), p))
        out.append(sorted(again, key=lambda sp: -sp[0]))
    return out


def _distinct(sentence: str, chosen: list[Principle]) -> bool:
    cw = set(content_words(sentence))
    for other in chosen:
        if sentence == other.text:
            return False
        ow = set(content_words(other.text))
        if cw and ow and len(cw & ow) / len(cw | ow) > 0.35:
            return False
    return True


__all__ = ["MAX_PRINCIPLES", "Principle", "candidate_ok", "select"]
