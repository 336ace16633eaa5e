"""A measurable voice: sentence shape, address, formality and signature phrases of a creator's texts."""

from __future__ import annotations

import math
import re
import statistics
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field


def word_set(text: str) -> frozenset[str]:
    return frozenset(text.split())


STOPWORDS = word_set("""
a about above after again against all also am an and any are as at be because been before being below
between both but by can could did do does doing down during each few for from further had has have having he
her here hers herself him himself his how i if in into is it its itself just let me more most my myself no
nor not now of off on once only or other our ours ourselves out over own same she should so some such than
that the their theirs them themselves then there these they this those through to too under until up very
was we were what when where which while who whom why will with would you your yours yourself yourselves thou
thee thy thine ye shall may might must upon unto yet one us even though shalt hast hath doth art dost wilt
thyself o oh
""")
SECOND = word_set("""
you your yours yourself yourselves thou thee thy thine thyself ye
""")
FIRST = word_set("""
i me my mine myself we us our ours ourselves
""")
ARCHAIC = word_set("""
thou thee thy thine thyself ye hath doth hast dost art shalt wilt wherefore whence thence hither thither
whilst amongst unto nay aye verily therefore thus hence indeed shall ought whereby
""")
INFORMAL = word_set("""
gonna wanna gotta ok okay hey yeah yep nope awesome cool stuff guys kinda lol btw literally basically super
totally fantastic amazing leverage synergy stakeholders deliverables
""")
IMPERATIVE = word_set("""
be do don't never always let remember consider think take make keep give look see hold learn go come stop
try read write ask tell know seek avoid reflect observe beware cease turn begin live love choose set put
leave bear endure practise practice trust believe fear withdraw retire hasten note mark count cast get find
use follow accept welcome imagine picture despise reject spend guard examine judge rid shun strive labour
labor dwell recall reckon regard behold mind free rise pass meet speak act rest start focus check reach join
share prioritize embrace prepare call grab wait listen stay
""")
LEADERS = word_set("""
and but so then now therefore yet or hey oh o well please
""")  # skipped before an imperative verb

_SENT_RE = re.compile(r"(?<=[.!?])[\"'”’)\]]*\s+(?=[\"'“‘(\[]?[A-Z0-9])")
_WORD_RE = re.compile(r"[A-Za-z]+(?:['’][A-Za-z]+)*")
_CONTRACTION_RE = re.compile(r"[A-Za-z]+['’](?:t|s|re|ve|ll|d|m)\b", re.I)
_FUNCTION_WORDS = sorted(STOPWORDS)
VOCAB_SIZE = 2000


def sentences(text: str) -> list[str]:
    text = re.sub(r"\[\d+\]", "", text)  # footnote markers are not words or sentence breaks
    text = re.sub(r"(?<!\w)\d+\.\s+", "", text)  # section numbers ("5. What is...") are not sentences
    out: list[str] = []
    for piece in text.split("↑"):  # a footnote's back-arrow always ends what came before it
        out += [s.strip() for s in _SENT_RE.split(re.sub(r"\s+", " ", piece)) if _WORD_RE.search(s)]
    return out


def words(text: str) -> list[str]:
    return [w.lower().replace("’", "'") for w in _WORD_RE.findall(text)]


def content_words(text: str) -> list[str]:
    return [w for w in words(text) if w not in STOPWORDS and len(w) > 2 and "'" not in w]


@dataclass
class StyleProfile:
    avg_sentence_len: float
    sentence_len_sd: float
    question_rate: float
    imperative_rate: float
    second_person_rate: float
    first_person_rate: float
    formality: float
    type_token_ratio: float
    top_words: list[str]
    function_words: dict[str, float] = field(default_factory=dict)  # relative frequencies, for distance
    vocabulary: list[str] = field(default_factory=list)  # the author's common content words: word choice
    avg_clause_len: float = 0.0  # words between commas, semicolons and dashes: long sentences of short clauses


def is_imperative(sentence: str) -> bool:
    ws = words(sentence)
    while ws and ws[0] in LEADERS:
        ws = ws[1:]
    if not ws:
        return False
    if ws[0] in ("never", "always", "do") and len(ws) > 1:
        return ws[1] in IMPERATIVE or ws[1] in ("not", "n't")
    return ws[0] in IMPERATIVE and not (len(ws) > 1 and ws[1] in ("is", "are", "was", "were", "has", "have"))


def _mattr(ws: list[str], window: int = 50) -> float:
    # The moving-average type/token ratio does not fall with length the way plain TTR does.
    if len(ws) <= window:
        return len(set(ws)) / max(1, len(ws))
    step = max(1, (len(ws) - window) // 200)  # sample windows on long corpora
    ratios = [len(set(ws[i : i + window])) / window for i in range(0, len(ws) - window + 1, step)]
    return sum(ratios) / len(ratios)


def _formality(text: str, ws: list[str]) -> float:
    n = max(1, len(ws))
    long_rate = sum(len(w) >= 8 for w in ws) / n
    contractions = len(_CONTRACTION_RE.findall(text)) / n
    archaic = sum(w in ARCHAIC for w in ws) / n
    informal = sum(w in INFORMAL for w in ws) / n + text.count("!") / n
    z = 6 * long_rate + 40 * archaic - 40 * contractions - 30 * informal - 0.3
    return 1 / (1 + math.exp(-3 * z))


def style_profile(texts: list[str]) -> StyleProfile:
    sents = [s for t in texts for s in sentences(t)]
    joined = " ".join(texts)
    ws = words(joined)
    n = max(1, len(ws))
    lens = [len(words(s)) for s in sents] or [0]
    counts = Counter(ws)
    vocab = [w for w, _ in Counter(content_words(joined)).most_common(VOCAB_SIZE)]
    return StyleProfile(
        avg_sentence_len=float(statistics.fmean(lens)),
        sentence_len_sd=float(statistics.pstdev(lens)) if len(lens) > 1 else 0.0,
        question_rate=sum(s.rstrip("\"'”’)").endswith("?") for s in sents) / max(1, len(sents)),
        imperative_rate=sum(is_imperative(s) for s in sents) / max(1, len(sents)),
        second_person_rate=sum(counts[w] for w in SECOND) / n,
        first_person_rate=sum(counts[w] for w in FIRST) / n,
        formality=_formality(joined, ws),
        type_token_ratio=_mattr(ws),
        top_words=vocab[:25],
        function_words={w: round(counts[w] / n, 6) for w in _FUNCTION_WORDS if counts[w]},
        vocabulary=vocab,
        avg_clause_len=_clause_len(sents),
    )


def _clause_len(sents: list[str]) -> float:
    parts = [len(words(c)) for s in sents for c in re.split(r"[,;:—–]", s) if words(c)]
    return float(statistics.fmean(parts)) if parts else 0.0


def _often(rate: float, often: float, sometimes: float, what: str) -> str | None:
    if rate >= often:
        return f"often {what}"
    if rate >= sometimes:
        return f"sometimes {what}"
    return None


def describe_voice(v: StyleProfile, address_form: str) -> list[str]:
    """The voice in plain words a creator recognises; the numbers behind it stay in the profile.

    Bands are set against ordinary written English (about 20 words a sentence, a question in ~5% of
    sentences, commands in ~3%).
    """
    if v.avg_sentence_len < 14:
        length = "short, direct sentences"
    elif v.avg_sentence_len < 22:
        length = "sentences of ordinary length"
    elif v.avg_clause_len and v.avg_clause_len < 9:
        length = "long sentences built of short clauses"
    else:
        length = "long, flowing sentences"
    parts = [length]
    if address_form == "thou":
        parts.append("addresses the reader as 'thou'")
    elif address_form == "friend":
        parts.append("addresses the reader as 'my friend'")
    elif v.second_person_rate >= 0.015:
        parts.append("speaks to the reader directly as 'you'")
    else:
        parts.append("rarely addresses the reader directly")
    parts.append(_often(v.imperative_rate, 0.1, 0.04, "gives commands") or "rarely gives commands")
    parts.append(_often(v.question_rate, 0.12, 0.05, "asks questions") or "rarely asks questions")
    if v.first_person_rate >= 0.03:
        parts.append("speaks from their own experience")
    if v.formality >= 0.85:
        parts.append("formal, old-fashioned English")
    elif v.formality >= 0.5:
        parts.append("a formal register")
    else:
        parts.append("a conversational register")
    return parts


def _gap(a: float, b: float, scale: float) -> float:
    """0..1: how far apart two feature values are, relative to a scale where the difference starts to matter."""
    d = abs(a - b) / scale
    return d / (1 + d)


def style_distance(profile: StyleProfile, text: str) -> float:
    """0 = same voice, 1 = very different. Short texts lean on the robust features (words, formality)."""
    p = style_profile([text])
    n_words = len(words(text))
    if n_words == 0:
        return 1.0
    n_sents = max(1, len(sentences(text)))
    reliable = min(1.0, n_sents / 4)  # sentence-level rates from one sentence are mostly noise
    len_gap = _gap(math.log(max(p.avg_sentence_len, 1)), math.log(max(profile.avg_sentence_len, 1)), 0.5)
    # Function-word profile (Burrows-style): the classic authorship signal, shrunk for short texts.
    keys = set(profile.function_words) | set(p.function_words)
    fw = sum(abs(profile.function_words.get(k, 0) - p.function_words.get(k, 0)) for k in keys) / 2
    fw_gap = _gap(fw, 0, 0.35 + 3 / math.sqrt(n_words))
    # Word choice: a modern text about passwords and revenue uses words this author never wrote.
    vocab = set(profile.vocabulary)
    text_content = content_words(text)
    coverage = sum(w in vocab for w in text_content) / len(text_content) if vocab and text_content else 1.0
    parts = [
        (2.0 if vocab else 0.0, _gap(coverage, 1.0, 0.3)),
        (2.0, _gap(p.formality, profile.formality, 0.25)),
        (1.5, fw_gap),
        (1.0, len_gap),
        (1.0, _gap(p.second_person_rate, profile.second_person_rate, 0.03)),
        (0.7, _gap(p.first_person_rate, profile.first_person_rate, 0.03)),
        (0.6 * reliable, _gap(p.question_rate, profile.question_rate, 0.2)),
        (0.6 * reliable, _gap(p.imperative_rate, profile.imperative_rate, 0.2)),
        (0.4 * reliable, _gap(p.type_token_ratio, profile.type_token_ratio, 0.1)),
    ]
    return sum(w * g for w, g in parts) / sum(w for w, _ in parts)


def _ngrams(text: str, n_max: int = 4) -> Counter[tuple[str, ...]]:
    grams: Counter[tuple[str, ...]] = Counter()
    for sent in sentences(text):
        # Clauses too: a phrase spanning a semicolon or dash is not one phrase.
        for clause in re.split(r"[;:,—–()\"“”]", sent):
            ws = words(clause)
            for n in range(2, n_max + 1):
                for i in range(len(ws) - n + 1):
                    grams[tuple(ws[i : i + n])] += 1
    return grams


_BAD_EDGE = word_set("""
a an the and or of to in for but that which with by as at from on is are was were be
""")
_AUXILIARY = word_set("""
has have had will shall can may must does do did is are was were cannot
""")
_BAD_START = word_set("""
and or of but that which to for by as at from with is are was were
""")


# Words of the edition (notes, headings, publisher), never in a signature phrase of the author's.
EDITION_WORDS = word_set("""
footnote footnotes note notes translator translated translation edition editor chapter chapters book page pages
volume vol text texts sacred com epistle epistles preface introduction index appendix cf ibid frag ed trans tr
ep mss usener hense manuscript manuscripts paragraph continues
""")


def _phrase_ok(g: tuple[str, ...]) -> bool:
    if all(w in STOPWORDS for w in g) or g[-1] in _BAD_EDGE or g[0] in _BAD_START:
        return False
    if any(w in EDITION_WORDS for w in g):
        return False
    if len(g) == 2 and (g[0] in STOPWORDS or g[1] in STOPWORDS):  # "thy life", "every man", "so far"
        return False
    if g[-1] in _AUXILIARY:  # "fortune has"
        return False
    # Footnote debris ("see ep", "th century") and initials are not phrases.
    return not any(len(w) <= 2 and w not in STOPWORDS for w in g)


def signature_phrases(
    corpus_texts: list[str],
    background_texts: list[str],
    k: int = 25,
    keep: Callable[[tuple[str, ...]], bool] | None = None,
) -> list[str]:
    """Distinctive 2-4-grams: smoothed log-ratio against the background, weighted by log frequency.

    (A Monroe-style z-score was tried: it ranks grams common on both sides first, e.g. "in order", and
    buries phrases the background never uses, e.g. "my dear lucilius".)
    """
    fg, bg = Counter[tuple[str, ...]](), Counter[tuple[str, ...]]()
    spread = Counter[tuple[str, ...]]()  # passages holding the gram: an author's phrase recurs across them
    for t in corpus_texts:
        grams = _ngrams(t)
        fg.update(grams)
        spread.update(grams.keys())
    for t in background_texts:
        bg.update(_ngrams(t))
    n_fg, n_bg = max(1, sum(fg.values())), max(1, sum(bg.values()))
    min_count = max(3, round(n_fg / 100_000))
    scored: list[tuple[float, tuple[str, ...]]] = []
    for g, y in fg.items():
        if (
            y < min_count
            or spread[g] < min(3, len(corpus_texts))
            or not _phrase_ok(g)
            or (keep is not None and not keep(g))
        ):
            continue
        delta = math.log((y + 0.5) / n_fg) - math.log((bg.get(g, 0) + 0.5) / n_bg)
        if delta > 0:
            scored.append((delta * math.log(y), g))
    scored.sort(reverse=True)
    chosen: list[tuple[str, ...]] = []
    for _, g in scored:
        # Diversity: a gram sharing a content word with one already chosen ("my dear" after
        # "dear lucilius", "living things" after "living thing") mostly repeats it.
        content = {w for w in g if w not in STOPWORDS}
        if any(content & {w for w in c if w not in STOPWORDS} for c in chosen):
            continue
        chosen.append(g)
        if len(chosen) == k:
            break
    return [" ".join(g) for g in chosen]
