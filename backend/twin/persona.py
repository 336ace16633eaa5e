"""Persona synthesis from a creator's passages: voice, themes, principles, dos and don'ts, a persona card.

Deterministic (topic factorisation with a fixed initialisation, lexical statistics) and limited to the
author's own text (edition apparatus is filtered out first: backend/twin/apparatus.py); an LLM may later
write the card from `llm_card_prompt`, but nothing here depends on one.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import asdict, dataclass, field, fields
from typing import Any

import numpy as np

from backend.twin.apparatus import apparatus_share, author_sentences, author_text, heading_is_apparatus
from backend.twin.keyphrases import names_something
from backend.twin.principles import select
from backend.twin.style import (
    STOPWORDS,
    StyleProfile,
    describe_voice,
    sentences,
    signature_phrases,
    style_profile,
    word_set,
    words,
)
from backend.twin.themes import PASSAGES_PER_THEME, Encode, Vectors, find_topics

_THOU = word_set("""
thou thee thy thine thyself ye
""")
_YOU = word_set("""
you your yours yourself yourselves
""")


@dataclass
class Theme:
    label: str
    key_phrases: list[str]
    passages: list[str]  # its most central passages, most central first (<= 3)
    passage_ids: list[str] = field(default_factory=list)  # the chunks those passages are, when known


@dataclass
class PrincipleRef:
    """Where a principle comes from: its theme and the passage (chunk) that holds it."""

    text: str
    theme: str
    passage_id: str | None = None


@dataclass
class PersonaProfile:
    voice: StyleProfile
    address_form: str  # "you" | "thou" | "friend"
    openers: list[str]
    closers: list[str]
    signature_phrases: list[str]
    themes: list[Theme]
    principles: list[str]
    dos: list[str]
    donts: list[str]
    card: str
    name: str = ""
    voice_summary: list[str] = field(default_factory=list)  # the voice in plain words; numbers in `voice`
    principle_sources: list[PrincipleRef] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> PersonaProfile:
        # Unknown keys are dropped so a profile stored by an older/newer version still loads.
        voice_keys = {f.name for f in fields(StyleProfile)}
        own = {f.name for f in fields(cls)} - {"voice", "themes", "principle_sources"}
        return cls(
            voice=StyleProfile(**{k: v for k, v in d["voice"].items() if k in voice_keys}),
            themes=[
                Theme(
                    t["label"],
                    list(t.get("key_phrases") or t.get("keywords") or []),  # "keywords": profiles before v2
                    list(t["passages"]),
                    list(t.get("passage_ids") or []),
                )
                for t in d.get("themes", [])
            ],
            principle_sources=[PrincipleRef(**p) for p in d.get("principle_sources", [])],
            **{k: v for k, v in d.items() if k in own},
        )


def address_form(passages: list[str]) -> str:
    counts = Counter(w for p in passages for w in words(p))
    thou, you = sum(counts[w] for w in _THOU), sum(counts[w] for w in _YOU)
    friend = sum(len(re.findall(r"\b(?:my (?:dear )?)?friends?\b[,!]", p, re.I)) for p in passages)
    if thou > you and thou >= friend:
        return "thou"
    if friend > max(you, thou) / 4 and friend >= 3:  # vocatives are rarer than pronouns: weigh them up
        return "friend"
    return "you"


_ANSWERS = word_set("""
yes no not nay certainly true indeed what why how nothing never by
""")
_ABBREVIATIONS = word_set("""
cf frag flor ep op ibid id vol fr ch pp cit loc sc viz etc ed trans
""")


def openers_closers(passages: list[str], top: int = 5) -> tuple[list[str], list[str]]:
    """Typical sentence openings ("Believe me", "Remember that") and sign-offs ("Farewell.").

    Passages are usually retrieval chunks cut at arbitrary sentences, so a passage's first and last
    sentences mean little; recurring short standalone sentences that are not answers ("Not at all.")
    are the sign-offs, with a bonus when they do end a passage.
    """
    starts: Counter[str] = Counter()
    ends: Counter[str] = Counter()
    for p in passages:
        sents = sentences(p)
        for i, s in enumerate(sents):
            ws = words(s)
            if not s[:1].isupper():
                continue
            if len(ws) >= 4 and any(w not in STOPWORDS for w in ws[:2]) and "." not in " ".join(s.split()[:2]):
                starts[" ".join(s.split()[:2]).strip(",;:")] += 1
            # "Cf." and "Frag." are footnote debris, not sign-offs; "Not at all." is an answer.
            short = 1 <= len(ws) <= 3 and not set(ws) & (_ANSWERS | _ABBREVIATIONS)
            if short and s.rstrip()[-1:] in ".!":
                ends[s.strip()] += 2 if i == len(sents) - 1 else 1
    floor = max(3, len(passages) // 50)
    return (
        [s for s, c in starts.most_common(top) if c >= floor],
        [s for s, c in ends.most_common(top) if c >= floor],
    )


def _dos_donts(voice: StyleProfile, form: str, themes: list[Theme], phrases: list[str]) -> tuple[list[str], list[str]]:
    pronoun = {"thou": "'thou' and 'thy'", "friend": "'my friend' and 'you'"}.get(form, "'you'")
    dos = [
        f"Address the reader as {pronoun}, directly and personally.",
        f"Keep sentences around {round(voice.avg_sentence_len)} words, varying the length.",
        "Ground every claim in the quoted passages and cite them with [n] markers.",
    ]
    if voice.imperative_rate >= 0.05:
        dos.append("Give counsel in the imperative ('Consider…', 'Remember…').")
    if voice.question_rate >= 0.06:
        dos.append("Ask the reader a pointed, rhetorical question now and then.")
    if voice.first_person_rate >= 0.02:
        dos.append("Speak from your own experience, in the first person.")
    if themes:
        dos.append("Return to your themes: " + ", ".join(t.label for t in themes[:4]) + ".")
    if phrases:
        dos.append("Use signature phrases sparingly: " + ", ".join(f"'{p}'" for p in phrases[:5]) + ".")
    donts = [
        "Don't use modern slang, emoji or corporate jargon.",
        "Don't invent quotations, facts or events that are not in the sources.",
        "Don't give medical, legal or financial advice; point to a professional instead.",
    ]
    if voice.formality >= 0.6:
        donts.append("Don't use contractions or a chatty register.")
    if voice.question_rate < 0.03:
        donts.append("Don't pile up questions; state your view.")
    if voice.avg_sentence_len > 22:
        donts.append("Don't write clipped, telegraphic sentences.")
    return dos, donts


def _card(p: PersonaProfile) -> str:
    """The readable card: voice in words, themes with their phrases, principles, phrases, how to answer."""
    lines = [
        f"# {p.name or 'Persona'}",
        "",
        f"**Voice:** {'; '.join(p.voice_summary)}.",
        "",
        "## Themes",
        *[f"- **{t.label}**: {', '.join(t.key_phrases)}" for t in p.themes],
        "",
        "## Principles",
        *[f"- {s}" for s in p.principles],
        "",
        "## Signature phrases",
        ", ".join(f"'{s}'" for s in p.signature_phrases[:12]) or "-",
        "",
        "## Do",
        *[f"- {s}" for s in p.dos],
        "",
        "## Don't",
        *[f"- {s}" for s in p.donts],
    ]
    if p.openers or p.closers:
        lines += [
            "",
            f"**Typical openings:** {', '.join(p.openers) or '-'}; **closings:** {', '.join(p.closers) or '-'}",
        ]
    return "\n".join(lines)


def _usable(text: str, heading: str | None) -> bool:
    return not heading_is_apparatus(heading) and apparatus_share(text) < 0.5 and len(words(text)) >= 20


def synthesize(
    passages: list[str],
    *,
    name: str,
    background_texts: list[str],
    n_themes: int | None = None,
    ids: list[str] | None = None,
    headings: list[str | None] | None = None,
    encode: Encode | None = None,
    vectors: Vectors | None = None,
) -> PersonaProfile:
    """The persona of the author of `passages` (retrieval chunks). `headings` (each passage's section)
    let a translator's introduction or notes be left out whole; `ids` are carried onto the themes' passages
    and the principles' sources. `encode` (MiniLM: texts -> unit vectors) ranks theme phrases and
    principles by meaning too; `vectors` gives passages' stored vectors by index (else they are encoded)."""
    if not passages:
        raise ValueError("need at least one passage")
    headings = headings or [None] * len(passages)
    keep = [i for i, (p, h) in enumerate(zip(passages, headings, strict=True)) if _usable(p, h)]
    if not keep:
        raise ValueError("none of the passages is the author's own text (only notes, headings or front matter)")
    own = [author_text(passages[i]) for i in keep]
    passage_vectors: Vectors | None = None
    if vectors is not None:
        outer = vectors
        passage_vectors = lambda idx: _unit(outer([keep[i] for i in idx]))  # noqa: E731
    elif encode is not None:
        enc = encode
        passage_vectors = lambda idx: _unit(enc([passages[keep[i]] for i in idx]))  # noqa: E731
    topics = find_topics(own, n_themes, encode, passage_vectors)
    themes: list[Theme] = []
    order = sorted(range(len(topics.members)), key=lambda t: -len(topics.members[t]))
    for t in order:
        # Shown as the author wrote them: a passage's trailing footnotes are not part of the theme.
        central = [i for i in topics.members[t] if len(words(own[i])) >= 40][:PASSAGES_PER_THEME]
        themes.append(
            Theme(
                topics.labels[t],
                topics.phrases[t],
                [own[i] for i in central],
                [ids[keep[i]] for i in central] if ids else [],
            )
        )
    picked = select([author_sentences(p) for p in own], topics, encode)
    principles = [p.text for p in picked]
    sources = [PrincipleRef(p.text, topics.labels[p.theme], ids[keep[p.passage]] if ids else None) for p in picked]
    voice = style_profile(own)
    form = address_form(own)
    openers, closers = openers_closers(own)
    phrases = signature_phrases(own, background_texts, keep=names_something) if background_texts else []
    dos, donts = _dos_donts(voice, form, themes, phrases)
    profile = PersonaProfile(
        voice, form, openers, closers, phrases, themes, principles, dos, donts, "", name,
        describe_voice(voice, form), sources,
    )  # fmt: skip
    profile.card = _card(profile)
    return profile


def _unit(v: np.ndarray) -> np.ndarray:
    v = np.asarray(v, dtype=np.float64)
    return v / np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-12)


def llm_card_prompt(profile: PersonaProfile, name: str) -> list[dict[str, str]]:
    """Messages asking an LLM to write the persona card from the synthesized parts and their passages."""
    excerpts = []
    for i, t in enumerate(profile.themes, 1):
        for j, p in enumerate(t.passages[:2], 1):
            excerpts.append(f"[T{i}.{j}] ({t.label}) {p[:900]}")
    system = (
        "You write persona cards for a coaching assistant that speaks in an author's voice. "
        "Use only the evidence given: the themes, principles, voice and passages. Do not invent biography, "
        "beliefs or quotations. Output markdown with sections: Voice, Themes, Core beliefs, How they advise, "
        "Typical phrases, Avoid."
    )
    user = (
        f"Author: {name}\n\nWhat synthesis found in their own texts (trust it):\n{profile.card}\n\n"
        "Central passages of each theme:\n" + "\n\n".join(excerpts) + "\n\nWrite the persona card (<= 350 words)."
    )
    return [{"role": "system", "content": system}, {"role": "user", "content": user}]


__all__ = ["PersonaProfile", "PrincipleRef", "Theme", "address_form", "llm_card_prompt", "synthesize"]
