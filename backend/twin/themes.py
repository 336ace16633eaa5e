"""A creator's themes: topics found in their own words, named by key phrases, shown with central passages.

Topics come from non-negative matrix factorisation of the passages' noun-phrase TF-IDF (deterministic with
NNDSVD initialisation): each topic is a weighted set of phrases, so its name is read off its heaviest
phrases ("Impression and impulse", "Master and slave"). K-means over the passages' MiniLM vectors was
tried first: on these translations it grouped passages by manner (animal analogies, Book One's list of
debts) more than by subject, and its clusters had no phrases of their own to name them by.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from backend.twin.keyphrases import GENERIC, candidates, clauses, content_of, lemma_key, verbal_words

MAX_THEMES = 8
PASSAGES_PER_THEME = 3
CENTRE_PASSAGES = 12  # the passages most about a topic, whose vectors place its centre
Encode = Callable[[list[str]], np.ndarray]  # texts -> unit-length MiniLM vectors
Vectors = Callable[[list[int]], np.ndarray]  # passage indexes -> their unit-length MiniLM vectors


@dataclass
class Topics:
    labels: list[str]
    phrases: list[list[str]]  # key phrases per topic, heaviest first
    members: list[list[int]]  # indexes of the passages that belong to each topic, most central first
    weights: np.ndarray  # passage x topic weights (rows sum to 1 where a passage has any phrase)
    vocabulary: list[str]  # lemma keys of the phrase columns
    components: np.ndarray  # topic x phrase weights
    centres: np.ndarray  # topic x embedding: each topic's centre in meaning (unit length)


def theme_count(n_passages: int) -> int:
    return max(1, min(MAX_THEMES, n_passages // 25))


def _analyzer(verbal: set[str]):  # type: ignore[no-untyped-def]
    def analyze(text: str) -> list[str]:
        out: list[str] = []
        for toks in clauses(text):
            for phrase in candidates(toks):
                content = content_of(phrase)
                if phrase[0] in verbal or phrase[-1] in verbal or len(content) > 3:
                    continue
                if len(content) == 1 and content[0] in GENERIC:
                    continue
                out.append(" ".join(lemma_key(phrase)))
        return out

    return analyze


def _surface_forms(texts: list[str], verbal: set[str]) -> dict[str, str]:
    """Lemma key -> its most frequent spelling in the text ("impression" -> "impressions")."""
    seen: dict[str, dict[str, int]] = {}
    for text in texts:
        for toks in clauses(text):
            for phrase in candidates(toks):
                key = " ".join(lemma_key(phrase))
                forms = seen.setdefault(key, {})
                forms[" ".join(phrase)] = forms.get(" ".join(phrase), 0) + 1
    return {k: max(v.items(), key=lambda kv: kv[1])[0] for k, v in seen.items()}


def _pick_phrases(order: list[int], weights: np.ndarray, vocab: list[str], top: int = 5) -> list[int]:
    """Best phrases, one per idea: a longer phrase replaces its own head word ("ruling faculty" for
    "faculty") when it is nearly as heavy; phrases sharing a word with one already chosen are skipped."""
    chosen: list[int] = []
    pool = [i for i in order[:40] if weights[i] > 0]
    for i in pool:
        words = set(vocab[i].split())
        if any(words & set(vocab[j].split()) for j in chosen):
            continue
        longer = [j for j in pool if j != i and words < set(vocab[j].split()) and weights[j] >= 0.35 * weights[i]]
        best = max(longer, key=lambda j: weights[j], default=i)
        if any(set(vocab[best].split()) & set(vocab[j].split()) for j in chosen):
            best = i
        chosen.append(best)
        if len(chosen) == top:
            break
    return chosen


def _name(phrases: list[str], weights: list[float]) -> str:
    if not phrases:
        return ""
    name = phrases[0]
    if len(phrases) > 1 and weights[1] >= 0.5 * weights[0]:
        name = f"{phrases[0]} and {phrases[1]}"
    return name[:1].upper() + name[1:]


def _rerank(order: list[list[int]], h: np.ndarray, vocab: list[str], surface: dict[str, str],
            centres: np.ndarray, encode: Encode) -> list[list[int]]:  # fmt: skip
    """Re-order each topic's heaviest phrases by weight and closeness in meaning to the topic's centre
    (as KeyBERT does): a phrase of an analogy ("hair", "eyes") is heavy but far from what the topic is about."""
    heads = [o[:15] for o in order]
    texts = sorted({surface.get(vocab[i], vocab[i]) for o in heads for i in o})
    vectors = dict(zip(texts, encode(texts), strict=True))
    out = []
    for c, o in enumerate(heads):
        top = max(float(h[c][o[0]]), 1e-12)
        score = {
            i: 0.5 * float(h[c][i]) / top + float(vectors[surface.get(vocab[i], vocab[i])] @ centres[c]) for i in o
        }
        out.append(sorted(o, key=lambda i: -score[i]) + order[c][15:])
    return out


def find_topics(
    texts: list[str], k: int | None = None, encode: Encode | None = None, vectors: Vectors | None = None
) -> Topics:
    """Topics of the passages `texts` (the author's own text of each). `vectors` gives the unit-length
    MiniLM vectors of passages by index (stored at ingestion), `encode` embeds new texts: with them, the
    central passages and the phrases are chosen by meaning as well as by words."""
    from sklearn.decomposition import NMF
    from sklearn.feature_extraction.text import TfidfVectorizer

    k = k or theme_count(len(texts))
    verbal = verbal_words([toks for t in texts for toks in clauses(t)])
    min_df = 2 if len(texts) < 60 else 3
    vectorizer = TfidfVectorizer(analyzer=_analyzer(verbal), min_df=min_df, max_df=0.5, sublinear_tf=True)
    try:
        x = vectorizer.fit_transform(texts)
    except ValueError:  # too little text for any phrase to recur
        x = None
    if x is None or x.shape[1] < k:
        return Topics([], [], [], np.zeros((len(texts), 0)), [], np.zeros((0, 0)), np.zeros((0, 0)))
    model = NMF(n_components=k, init="nndsvd", random_state=0, max_iter=1000)
    w = model.fit_transform(x)
    h = model.components_
    vocab = [str(v) for v in vectorizer.get_feature_names_out()]
    surface = _surface_forms(texts, verbal)
    sums = w.sum(axis=1, keepdims=True)
    shares = np.divide(w, sums, out=np.zeros_like(w), where=sums > 0)
    assigned = w.argmax(axis=1)
    members = []
    for c in range(k):
        idx = np.flatnonzero((assigned == c) & (sums[:, 0] > 0))
        members.append([int(i) for i in idx[np.argsort(-w[idx, c])]])  # most about this topic first
    centres = _centres(members, w, vectors) if vectors is not None else np.zeros((k, 0))
    order = [[int(i) for i in np.argsort(-h[c])] for c in range(k)]
    if encode is not None and centres.shape[1]:
        order = _rerank(order, h, vocab, surface, centres, encode)
    labels, phrases = [], []
    for c in range(k):
        picked = _pick_phrases(order[c], h[c], vocab)
        names = [surface.get(vocab[i], vocab[i]) for i in picked]
        phrases.append(names)
        labels.append(_name(names, [float(h[c][i]) for i in picked]))
    return Topics(labels, phrases, members, shares, vocab, h, centres)


def _centres(members: list[list[int]], w: np.ndarray, vectors: Vectors) -> np.ndarray:
    """Each topic's centre in meaning, from the passages most about it; those passages are re-ordered in
    place, most central first (close to the centre and mostly about the topic)."""
    heads = [m[:CENTRE_PASSAGES] for m in members]
    flat = [i for h in heads for i in h]
    if not flat:
        return np.zeros((len(members), 0))
    got = vectors(flat)
    by_index = dict(zip(flat, got, strict=True))
    centres = np.zeros((len(members), got.shape[1]))
    for c, head in enumerate(heads):
        if not head:
            continue
        vs = np.stack([by_index[i] for i in head])
        weights = w[head, c : c + 1]
        centre = (vs * weights).sum(axis=0)
        centres[c] = centre / max(float(np.linalg.norm(centre)), 1e-12)
        top = max(float(weights.max()), 1e-12)
        score = {i: float(by_index[i] @ centres[c]) + 0.5 * float(w[i, c]) / top for i in head}
        members[c][: len(head)] = sorted(head, key=lambda i: -score[i])
    return centres


__all__ = ["MAX_THEMES", "PASSAGES_PER_THEME", "Encode", "Topics", "Vectors", "find_topics", "theme_count"]
