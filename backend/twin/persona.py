"""Personality synthesis from a creator's passages: voice, themes, principles, dos and don'ts, a persona card.

Deterministic (KMeans with a fixed seed, lexical statistics); an LLM may later rewrite the card from
`llm_card_prompt`, but nothing here depends on one.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import asdict, dataclass, fields
from typing import Any

import numpy as np

from backend.twin.style import (
    IMPERATIVE,
    STOPWORDS,
    StyleProfile,
    content_words,
    sentences,
    signature_phrases,
    style_profile,
    word_set,
    words,
)

_THOU = word_set("""
thou thee thy thine thyself ye
""")
_YOU = word_set("""
you your yours yourself yourselves
""")
_NORMATIVE = re.compile(
    r"\b(must|should|ought|do not|don't|never|let us|let him|it is (?:better|best|necessary)|we need)\b", re.I
)


@dataclass
class Theme:
    label: str
    keywords: list[str]
    passages: list[str]  # representative passages, nearest the cluster centre first (<= 3)


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

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> PersonaProfile:
        # Unknown keys are dropped so a profile stored by an older/newer version still loads.
        voice_keys = {f.name for f in fields(StyleProfile)}
        own = {f.name for f in fields(cls)} - {"voice", "themes"}
        return cls(
            voice=StyleProfile(**{k: v for k, v in d["voice"].items() if k in voice_keys}),
            themes=[Theme(t["label"], list(t["keywords"]), list(t["passages"])) for t in d.get("themes", [])],
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


def _cluster_keywords(docs: list[list[str]], labels: np.ndarray, k: int, top: int = 6) -> list[list[str]]:
    # Each word's contribution to KL(cluster || corpus): frequent in the cluster AND over-represented there.
    # (class TF-IDF over 6 clusters barely penalised "man" and "things", which every cluster shares.)
    per = [Counter(w for d, lab in zip(docs, labels, strict=True) if lab == c for w in d) for c in range(k)]
    overall = Counter[str]()
    for c in per:
        overall.update(c)
    n_all = max(1, sum(overall.values()))
    out = []
    for c in per:
        total = max(1, sum(c.values()))

        def score(w: str, c: Counter[str] = c, total: int = total) -> float:
            pc = (c[w] + 0.1) / total
            return pc * math.log(pc / (overall[w] / n_all)) if c[w] >= 2 else -1.0

        out.append(sorted(c, key=score, reverse=True)[:top])
    return out


def _principles(passages: list[str], centrality: np.ndarray, top_words: set[str], limit: int = 8) -> list[str]:
    cands: list[tuple[float, str]] = []
    for p, cen in zip(passages, centrality, strict=True):
        for s in sentences(p):
            ws = words(s)
            if not 6 <= len(ws) <= 30 or s.rstrip()[-1:] == "?" or '"' in s or "“" in s:
                continue
            normative = bool(_NORMATIVE.search(s)) or ws[0] in IMPERATIVE
            if normative:
                lex = len(set(content_words(s)) & top_words) / max(1, len(set(content_words(s))))
                cands.append((float(cen) + 0.5 * lex - 0.005 * abs(len(ws) - 16), s.strip()))
    cands.sort(reverse=True)
    chosen: list[str] = []
    for _, s in cands:
        cw = set(content_words(s))
        if all(len(cw & set(content_words(c))) <= len(cw) // 2 for c in chosen):
            chosen.append(s)
        if len(chosen) == limit:
            break
    return chosen


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
    v = p.voice
    lines = [
        f"# {p.name or 'Persona'}",
        "",
        f"**Voice:** sentences ~{v.avg_sentence_len:.0f} words (sd {v.sentence_len_sd:.0f}); questions "
        f"{v.question_rate:.0%}, imperatives {v.imperative_rate:.0%}; formality {v.formality:.2f}; "
        f"addresses the reader as '{p.address_form}'.",
        "",
        "## Themes",
        *[f"- **{t.label}** — {', '.join(t.keywords)}" for t in p.themes],
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


def synthesize(
    passages: list[str], embeddings: np.ndarray, *, name: str, background_texts: list[str], n_themes: int = 6
) -> PersonaProfile:
    from sklearn.cluster import KMeans

    if not passages or len(passages) != len(embeddings):
        raise ValueError("need one embedding per passage, and at least one passage")
    emb = np.asarray(embeddings, dtype=np.float64)
    emb = emb / np.maximum(np.linalg.norm(emb, axis=1, keepdims=True), 1e-12)  # cosine geometry for KMeans
    k = max(1, min(n_themes, len(passages)))
    km = KMeans(n_clusters=k, n_init=10, random_state=0).fit(emb)
    labels = km.labels_
    centres = km.cluster_centers_ / np.maximum(np.linalg.norm(km.cluster_centers_, axis=1, keepdims=True), 1e-12)
    centrality = np.einsum("ij,ij->i", emb, centres[labels])  # cosine of each passage to its own centre
    keywords = _cluster_keywords([content_words(p) for p in passages], labels, k)
    themes: list[Theme] = []
    for c in sorted(range(k), key=lambda c: -int((labels == c).sum())):  # biggest themes first
        members = np.flatnonzero(labels == c)
        nearest = members[np.argsort(-centrality[members])][:3]
        kw = keywords[c]
        # Label with two keywords that are not forms of one word ("slaves & slave").
        pair = kw[:1] + [w for w in kw[1:] if w[:4] != kw[0][:4]][:1]
        themes.append(Theme(" & ".join(pair) or f"theme {c + 1}", kw, [passages[i] for i in nearest]))
    voice = style_profile(passages)
    form = address_form(passages)
    openers, closers = openers_closers(passages)
    phrases = signature_phrases(passages, background_texts) if background_texts else []
    principles = _principles(passages, centrality, set(voice.top_words) | {w for t in themes for w in t.keywords})
    dos, donts = _dos_donts(voice, form, themes, phrases)
    profile = PersonaProfile(voice, form, openers, closers, phrases, themes, principles, dos, donts, "", name)
    profile.card = _card(profile)
    return profile


def llm_card_prompt(profile: PersonaProfile, name: str) -> list[dict[str, str]]:
    """Messages asking an LLM to write the persona card from representative passages and measured style."""
    excerpts = []
    for i, t in enumerate(profile.themes, 1):
        for j, p in enumerate(t.passages[:2], 1):
            excerpts.append(f"[T{i}.{j}] ({t.label}) {p[:900]}")
    system = (
        "You write persona cards for a coaching assistant that speaks in an author's voice. "
        "Use only the evidence given: the measured style and the passages. Do not invent biography. "
        "Output markdown with sections: Voice, Core beliefs, How they advise, Typical phrases, Avoid."
    )
    user = (
        f"Author: {name}\n\nMeasured profile (computed, trust it):\n{profile.card}\n\n"
        "Representative passages:\n" + "\n\n".join(excerpts) + "\n\nWrite the persona card (<= 350 words)."
    )
    return [{"role": "system", "content": system}, {"role": "user", "content": user}]


__all__ = ["PersonaProfile", "Theme", "address_form", "llm_card_prompt", "synthesize"]
