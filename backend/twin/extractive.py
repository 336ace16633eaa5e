"""The offline answer: the creator's own sentences, chosen for the question, stitched and cited. No LLM."""

from __future__ import annotations

import re
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


@dataclass
class Passage:
    id: str
    text: str
    score: float
    document_id: str = ""
    document_title: str = ""
    location: dict[str, Any] = field(default_factory=dict)
    focus: tuple[int, int] | None = None  # the sentence closest to the question (character range in `text`)
    sentences: list[tuple[float, tuple[int, int]]] = field(default_factory=list)  # each sentence's cosine, range


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


# ---- choosing what to quote ----------------------------------------------------------------------------------

MAX_QUOTE_WORDS = 60  # a longer sentence is quoted by its clause closest to the question, or not at all
_MARKS = re.compile(r"\s*(?:\[\d+\]|\[p\. ?\d+\]|<page \d+>)")  # footnote and page marks of the editions
_END = re.compile(r"[.!?](?:\[\d+\])?[\"'”’)\]]*(?=\s|$)")
_START = re.compile(r"[\"'“‘(]?[A-Z]")


def clean(text: str) -> str:
    """Quoted text without the editions' footnote and page marks, whitespace collapsed."""
    return " ".join(_MARKS.sub("", text).split())


def whole(sentence: str) -> bool:
    """A complete thought: starts like a sentence, ends like one, and is short enough to quote."""
    n = len(words(sentence))
    return 5 <= n <= MAX_QUOTE_WORDS and bool(_START.match(sentence)) and bool(_END.search(sentence[-3:] + " "))


def sentence_around(text: str, focus: tuple[int, int]) -> str:
    """The whole sentence holding the character range `focus` (the passage's sentence closest to the question,
    which may be a clause), or "" when that sentence is not whole or too long to quote."""
    start, end = focus
    before = [m.end() for m in _END.finditer(text, 0, start + 1)]
    s = before[-1] if before else 0
    after = _END.search(text, max(end - 1, s))
    sentence = clean(text[s : after.end() if after else len(text)])
    return sentence if whole(sentence) else ""


def _lexical_best(question: str, text: str) -> str:
    """Without a focus (a passage indexed before sentence vectors): the whole sentence sharing most topic words."""
    q = topic_terms(question)
    best = max(
        ((len(q & topic_terms(s)), -i, s) for i, s in enumerate(sentences(clean(text))) if whole(s)),
        default=(0, 0, ""),
    )
    return best[2]


# How much a sentence's share of the question's topic words adds to its cosine when choosing what to quote:
# fitted leave-one-creator-out on tests/bench/retrieval (each fold chose 0.2); quotes of an answering sentence
# 0.151 -> 0.176 in the replay (tests/bench/retrieval/README.md).
TOPIC_WEIGHT = 0.2


def choose(
    question: str, passages: list[Passage], max_quotes: int = 3, close: float = 0.05
) -> list[tuple[Passage, str]]:
    """The sentences to quote, best first, one per passage. With the passages' scored sentences (search gives
    each one's cosine to the question): the whole sentences of all the passages ranked by cosine plus
    `TOPIC_WEIGHT` x the share of the question's topic words they use. Without them (passages indexed before
    sentence vectors): each passage's focus or most on-topic sentence, in retrieval order, the first two
    always, later ones only within `close` of the best score."""
    if any(p.sentences for p in passages):
        return _by_sentence(question, passages, max_quotes)
    best = max((p.score for p in passages), default=0.0)
    out: list[tuple[Passage, str]] = []
    seen: set[str] = set()
    for rank, p in enumerate(passages):
        if len(out) >= max_quotes:
            break
        if rank >= 2 and p.score < best - close:
            continue
        quote = (sentence_around(p.text, p.focus) if p.focus else "") or _lexical_best(question, p.text)
        if quote and quote.lower() not in seen:
            out.append((p, quote))
            seen.add(quote.lower())
    return out


def _by_sentence(question: str, passages: list[Passage], max_quotes: int) -> list[tuple[Passage, str]]:
    ranked: list[tuple[float, int, Passage, str]] = []
    for i, p in enumerate(passages):
        quotes = [(cos, sentence_around(p.text, r)) for cos, r in p.sentences]
        if not p.sentences:
            quotes = [(p.score, _lexical_best(question, p.text))]
        for cos, quote in quotes:
            if quote:
                ranked.append((cos + TOPIC_WEIGHT * lexical_overlap(question, quote), -i, p, quote))
    ranked.sort(key=lambda x: (x[0], x[1]), reverse=True)
    out: list[tuple[Passage, str]] = []
    used: set[str] = set()
    seen: set[str] = set()
    for _, _, p, quote in ranked:
        if p.id in used or quote.lower() in seen:
            continue
        out.append((p, quote))
        used.add(p.id)
        seen.add(quote.lower())
        if len(out) == max_quotes:
            break
    return out


_ITALICS = re.compile(r"(?<![\w*_\\])_([^\s_](?:[^_]*?[^\s_])?)_(?![\w*_])")


def _md(text: str) -> str:
    """Quoted text as markdown that shows what the edition shows: its `_italics_` (plain-text editions' mark)
    as emphasis, every other mark escaped, so no reader ever sees a stray underscore or asterisk turn into
    formatting or a backslash."""
    parts = _ITALICS.split(text)  # even: plain text, odd: an italic span
    return "".join(_escape(p) if i % 2 == 0 else f"*{_escape(p)}*" for i, p in enumerate(parts))


def _escape(text: str) -> str:
    return re.sub(r"([*_`\\\[\]])", r"\\\1", text)


FRAMES = {
    "you": "Here is what I have written on this, in my own words:",
    "thou": "Hear what I have written on this, in my own words:",
    "friend": "My friend, here is what I have written on this, in my own words:",
}
NEUTRAL_FRAME = "Here is what the source material says on this, quoted:"
MOMENT_FRAMES = {
    "you": "Here is something I have written that may help:",
    "thou": "Here is something I have written that may help thee:",
    "friend": "Here is something I have written that may help:",
}


def compose_extractive(
    question: str,
    passages: list[Passage],
    profile: PersonaProfile | None,
    *,
    max_quotes: int = 3,
    lead: str | None = None,
) -> tuple[str, list[Passage]]:
    """The offline answer: the single most relevant sentence first, then at most two more from other passages,
    each a whole sentence quoted verbatim as a markdown blockquote with its [n] citation, framed in the
    persona's address form. `lead`: a first line (a warm acknowledgement in a hard moment)."""
    picked = choose(question, passages, max_quotes)
    form = profile.address_form if profile else ""
    if not picked:  # nothing quotable: say so rather than stitch fragments
        return (
            "I find nothing in my writings that answers thy question."
            if form == "thou"
            else "I find nothing in my writings that answers your question."
        ), []
    cited: list[Passage] = []
    quotes: list[str] = []
    for p, quote in picked:
        cited.append(p)
        quotes.append(f"> {_md(quote)} [{len(cited)}]")
    frames = MOMENT_FRAMES if lead else FRAMES
    frame = frames.get(form, NEUTRAL_FRAME) if profile else NEUTRAL_FRAME
    opener = next((o for o in (profile.openers if profile else []) if _usable(o)), None)
    closer = next((c for c in (profile.closers if profile else []) if _usable(c)), None)
    head = [lead] if lead else ([opener] if opener else [])
    body = [" ".join([*head, frame]), *quotes]
    if closer:
        body.append(closer)
    return "\n\n".join(body), cited


CITATION_RE = re.compile(r"\[(\d+)\]")
