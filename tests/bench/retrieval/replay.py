"""Offline replay of retrieval (issue 18): the sample corpora chunked and encoded as ingestion does, cached on
disk, and ranking ideas compared in numpy in seconds instead of a re-ingestion per idea.

    .venv/bin/python -m tests.bench.retrieval.replay [--model PATH] [--chunk 200/40] [--ideas a,b]

Vectors are cached under /tmp/coachtwin-replay (one file per model, chunking and corpus). The full-text leg is
approximated with BM25 over stemmed words in Python (PostgreSQL's is in `knowledge_lexical`); ideas that win
here are confirmed by the harness on the real search (`tests/bench/twin_bench.py`).
"""

from __future__ import annotations

import argparse
import hashlib
import math
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from tests.bench.retrieval.harness import AUTHOR_OF, is_hit, load

CACHE = Path("/tmp/coachtwin-replay")
_WORD = re.compile(r"[a-z]+")


@dataclass
class Space:
    """One author's workspace: passages, passage vectors, sentence vectors (flat) and their owners."""

    texts: list[str]
    vectors: np.ndarray
    sentences: np.ndarray  # every passage's sentence vectors, one after the other
    owner: np.ndarray  # sentences[i] belongs to passage owner[i]
    ranges: list[list[tuple[int, int]]]
    bm25: BM25


class BM25:
    def __init__(self, texts: list[str]) -> None:
        from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

        self.stop = ENGLISH_STOP_WORDS
        self.docs = [Counter(self.terms(t)) for t in texts]
        self.lengths = np.asarray([sum(d.values()) for d in self.docs], dtype=np.float64)
        self.mean = float(self.lengths.mean()) if len(self.docs) else 1.0
        self.df: Counter[str] = Counter(w for d in self.docs for w in d)
        self.index: dict[str, list[int]] = {}
        for i, d in enumerate(self.docs):
            for w in d:
                self.index.setdefault(w, []).append(i)

    def terms(self, text: str) -> list[str]:
        from backend.twin.extractive import _stem

        return [_stem(w) for w in _WORD.findall(text.lower()) if w not in self.stop and len(w) > 2]

    def scores(self, query: str, k1: float = 1.2, b: float = 0.75) -> dict[int, float]:
        n = len(self.docs)
        out: dict[int, float] = {}
        for w in set(self.terms(query)):
            idf = math.log(1 + (n - self.df[w] + 0.5) / (self.df[w] + 0.5))
            for i in self.index.get(w, []):
                tf = self.docs[i][w]
                out[i] = out.get(i, 0.0) + idf * tf * (k1 + 1) / (tf + k1 * (1 - b + b * self.lengths[i] / self.mean))
        return out


def _model(path: str) -> Any:
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(path, device="cpu", local_files_only=True)


def encode_passages(model: Any, texts: list[str], batch: int = 32) -> tuple[np.ndarray, list[np.ndarray]]:
    """Passage vectors and sentence vectors pooled from the same forward pass (as backend/knowledge/spans.py)."""
    import torch

    from backend.knowledge.spans import pool, sentence_ranges

    dims = model.get_sentence_embedding_dimension()
    vectors = np.zeros((len(texts), dims), dtype=np.float32)
    spans: list[Any] = [None] * len(texts)
    order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
    for start in range(0, len(order), batch):
        idx = order[start : start + batch]
        enc = model.tokenizer(
            [texts[i] for i in idx],
            padding=True,
            truncation=True,
            max_length=model.max_seq_length,
            return_offsets_mapping=True,
            return_tensors="pt",
        )
        offsets = enc.pop("offset_mapping").numpy()
        with torch.inference_mode():
            out = model.forward(dict(enc))
        tokens, mask = out["token_embeddings"].numpy(), enc["attention_mask"].numpy().astype(bool)
        vecs = out["sentence_embedding"].numpy()
        vectors[idx] = vecs / np.linalg.norm(vecs, axis=1, keepdims=True)
        for row, i in enumerate(idx):
            spans[i] = pool(tokens[row][mask[row]], offsets[row][mask[row]], sentence_ranges(texts[i]))
    return vectors, spans


def chunks_of(stem: str, max_tokens: int, overlap: int) -> list[str]:
    from backend.knowledge.chunking import Chunker, deduplicate
    from backend.knowledge.parsing import parse_document
    from tests.corpora import CORPORA

    path = CORPORA / f"{stem}.txt"
    doc = parse_document(path.read_bytes(), path.name)
    return [c.text for c in deduplicate(Chunker(max_tokens=max_tokens, overlap_tokens=overlap).chunk(doc))]


def cached(key: str, make: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    CACHE.mkdir(parents=True, exist_ok=True)
    path = CACHE / f"{hashlib.sha1(key.encode()).hexdigest()[:16]}.npz"
    if not path.exists():
        np.savez(path, **make())
    with np.load(path, allow_pickle=True) as f:
        return {k: f[k] for k in f.files}


def build(model_path: str, max_tokens: int, overlap: int, stems: list[str] | None = None) -> dict[str, Space]:
    from backend.knowledge.spans import sentence_ranges

    model: Any = None
    per_author: dict[str, list[tuple[list[str], np.ndarray, list[np.ndarray]]]] = {}
    for stem, author in AUTHOR_OF.items():
        if stems and stem not in stems:
            continue

        def make(stem: str = stem) -> dict[str, Any]:
            nonlocal model
            model = model or _model(model_path)
            texts = chunks_of(stem, max_tokens, overlap)
            vectors, spans = encode_passages(model, texts)
            return {
                "texts": np.asarray(texts, dtype=object),
                "vectors": vectors,
                "sentences": np.concatenate(spans),
                "counts": np.asarray([len(s) for s in spans]),
            }

        data = cached(f"{model_path}|{max_tokens}|{overlap}|{stem}", make)
        counts = data["counts"]
        splits = np.split(data["sentences"], np.cumsum(counts)[:-1])
        per_author.setdefault(author, []).append((list(data["texts"]), data["vectors"], splits))
    spaces = {}
    for author, parts in per_author.items():
        texts = [t for p in parts for t in p[0]]
        vectors = np.concatenate([p[1] for p in parts])
        sent = [s for p in parts for s in p[2]]
        owner = np.concatenate([np.full(len(s), i) for i, s in enumerate(sent)])
        spaces[author] = Space(
            texts, vectors, np.concatenate(sent), owner, [sentence_ranges(t) for t in texts], BM25(texts)
        )
    return spaces


def query_vectors(model_path: str, questions: list[str]) -> np.ndarray:
    key = f"{model_path}|questions|{hashlib.sha1(chr(0).join(questions).encode()).hexdigest()}"
    data = cached(key, lambda: {"q": _model(model_path).encode(questions, normalize_embeddings=True)})
    return np.asarray(data["q"], dtype=np.float32)


# ---- ranking ideas ---------------------------------------------------------------------------------------------


def candidates(space: Space, q: np.ndarray, text: str, n: int = 40) -> tuple[list[int], np.ndarray]:
    passage = space.vectors @ q
    vec = list(np.argsort(-passage)[:n])
    lex = space.bm25.scores(text)
    lex_top = sorted(lex, key=lambda i: -lex[i])[:n]
    return list(dict.fromkeys([*map(int, vec), *lex_top])), passage


def sentence_max(space: Space, q: np.ndarray) -> np.ndarray:
    s = space.sentences @ q
    out = np.full(len(space.texts), -1.0)
    np.maximum.at(out, space.owner, s)
    return out


def interleave(a: list[int], b: list[int]) -> list[int]:
    out: list[int] = []
    for pair in zip(a, b, strict=False):
        for i in pair:
            if i not in out:
                out.append(i)
    for i in [*a, *b]:
        if i not in out:
            out.append(i)
    return out


def diversify(space: Space, order: list[int], k: int = 5) -> list[int]:
    chosen: list[int] = []
    seen: list[set[str]] = []
    for i in order:
        w = set(re.findall(r"[a-z0-9']+", space.texts[i].lower()))
        if any(len(w & s) / max(1, len(w | s)) > 0.6 for s in seen):
            continue
        chosen.append(i)
        seen.append(w)
        if len(chosen) == k:
            break
    return chosen


def rank_shipped(space: Space, q: np.ndarray, text: str) -> list[int]:
    cand, passage = candidates(space, q, text)
    sent = sentence_max(space, q)
    by_sent = sorted(cand, key=lambda i: -sent[i])
    by_pass = sorted(cand, key=lambda i: -passage[i])
    return interleave(by_sent, by_pass)


def rank_vector(space: Space, q: np.ndarray, text: str) -> list[int]:
    return [int(i) for i in np.argsort(-(space.vectors @ q))[:50]]


def rank_pairs(space: Space, q: np.ndarray, text: str) -> list[int]:
    """Closest sentence or pair of adjacent sentences (their mean), in turn with the passage cosine."""
    cand, passage = candidates(space, q, text)
    s = space.sentences @ q
    best = sentence_max(space, q)
    pair = space.sentences[:-1] + space.sentences[1:]
    same = space.owner[:-1] == space.owner[1:]
    ps = (pair @ q) / np.maximum(np.linalg.norm(pair, axis=1), 1e-9)
    ps[~same] = -1
    np.maximum.at(best, space.owner[:-1], ps)
    del s
    return interleave(sorted(cand, key=lambda i: -best[i]), sorted(cand, key=lambda i: -passage[i]))


def rank_three(space: Space, q: np.ndarray, text: str) -> list[int]:
    cand, passage = candidates(space, q, text)
    sent = sentence_max(space, q)
    lex = space.bm25.scores(text)
    a = sorted(cand, key=lambda i: -sent[i])
    b = sorted(cand, key=lambda i: -passage[i])
    c = sorted(cand, key=lambda i: -lex.get(i, 0))
    out: list[int] = []
    for trio in zip(a, b, c, strict=False):
        out += [i for i in trio if i not in out]
    return out


def rank_prf(space: Space, q: np.ndarray, text: str, alpha: float = 0.5) -> list[int]:
    """Sentence-level feedback: the query moved toward its 3 closest sentences, then ranked as shipped."""
    s = space.sentences @ q
    top = np.argsort(-s)[:3]
    q2 = q + alpha * space.sentences[top].mean(axis=0)
    q2 = q2 / np.linalg.norm(q2)
    return rank_shipped(space, q2.astype(np.float32), text)


def rank_sentence_heavy(space: Space, q: np.ndarray, text: str) -> list[int]:
    cand, passage = candidates(space, q, text)
    sent = sentence_max(space, q)
    a = sorted(cand, key=lambda i: -sent[i])
    b = sorted(cand, key=lambda i: -passage[i])
    out: list[int] = []
    for i in [a[0], a[1], b[0], a[2], b[1], *interleave(a[3:], b[2:])]:
        if i not in out:
            out.append(i)
    return out


def rank_sum_ranks(space: Space, q: np.ndarray, text: str) -> list[int]:
    """Borda: the sum of each candidate's rank by closest sentence and by passage cosine."""
    cand, passage = candidates(space, q, text)
    sent = sentence_max(space, q)
    ra = {i: r for r, i in enumerate(sorted(cand, key=lambda i: -sent[i]))}
    rb = {i: r for r, i in enumerate(sorted(cand, key=lambda i: -passage[i]))}
    return sorted(cand, key=lambda i: ra[i] + rb[i])


IDEAS: dict[str, Callable[[Space, np.ndarray, str], list[int]]] = {
    "sentence or adjacent pair / passage in turn": rank_pairs,
    "sentence / passage / BM25 in turn": rank_three,
    "sentence-level feedback (alpha 0.5)": rank_prf,
    "sentence, sentence, passage, then in turn": rank_sentence_heavy,
    "sum of the two ranks (Borda)": rank_sum_ranks,
    "vector only": rank_vector,
    "shipped (closest sentence / passage in turn)": rank_shipped,
}


def evaluate(spaces: dict[str, Space], qvecs: np.ndarray, on: list[dict[str, Any]], ideas: list[str]) -> None:
    for name in ideas:
        rank = IDEAS[name]
        ranks: list[int | None] = []
        for q, v in zip(on, qvecs, strict=True):
            space = spaces[q["author"]]
            top = diversify(space, rank(space, v, q["question"]))
            found = [r for r, i in enumerate(top) if is_hit(space.texts[i], q["answer_quote"])]
            ranks.append(found[0] if found else None)
        n = len(ranks)
        h1 = sum(r == 0 for r in ranks) / n
        h5 = sum(r is not None for r in ranks) / n
        mrr = sum(1 / (r + 1) for r in ranks if r is not None) / n
        by = {a: sum(r is not None for r, q in zip(ranks, on, strict=True) if q["author"] == a) for a in spaces}
        print(f"{name:60s} hit@1 {h1:.3f} hit@5 {h5:.3f} MRR {mrr:.3f}  {by}", flush=True)


def main() -> None:
    from backend.lib.embeddings import default_model_path

    parser = argparse.ArgumentParser()
    parser.add_argument("--model", default="")
    parser.add_argument("--chunk", default="200/40")
    parser.add_argument("--ideas", default="")
    parser.add_argument("--stems", default="", help="only these corpora (comma-separated file stems)")
    args = parser.parse_args()
    model = args.model or default_model_path()
    max_tokens, overlap = (int(x) for x in args.chunk.split("/"))
    on, _ = load()
    stems = args.stems.split(",") if args.stems else None
    spaces = build(model, max_tokens, overlap, stems)
    on = [q for q in on if q["author"] in spaces]
    print({a: len(s.texts) for a, s in spaces.items()}, flush=True)
    qvecs = query_vectors(model, [q["question"] for q in on])
    evaluate(spaces, qvecs, on, args.ideas.split(",") if args.ideas else list(IDEAS))
    quote_rate(spaces, qvecs, on, rank_shipped, CHOOSERS)
    quote_loco(spaces, qvecs, on)


# ---- what the offline reply quotes -----------------------------------------------------------------------------


def sentence_scores(space: Space, i: int, q: np.ndarray) -> list[tuple[float, tuple[int, int]]]:
    vecs = space.sentences[space.owner == i]
    ranges = space.ranges[i]
    if len(vecs) != len(ranges):
        return []
    return list(zip((vecs @ q).tolist(), ranges, strict=True))


def _with_overlap(w: float) -> Callable[..., str]:
    def compose(sp: Space, top: list[int], q: np.ndarray, text: str) -> str:
        return _pick_sentences(sp, top, q, lambda s, r, quote: s + w * _overlap(text, quote))

    return compose


OVERLAP_WEIGHTS = (0.0, 0.05, 0.1, 0.2, 0.3, 0.4)


def quote_loco(spaces: dict[str, Space], qvecs: np.ndarray, on: list[dict[str, Any]]) -> None:
    """The topic-word weight of the quote choice fitted on two authors and scored on the third."""
    from tests.bench.retrieval.harness import quotes_answer

    got = {w: [] for w in OVERLAP_WEIGHTS}  # type: dict[float, list[bool]]
    for q, v in zip(on, qvecs, strict=True):
        space = spaces[q["author"]]
        top = diversify(space, rank_shipped(space, v, q["question"]))
        for w in OVERLAP_WEIGHTS:
            got[w].append(quotes_answer(_with_overlap(w)(space, top, v, q["question"]), q["answer_quote"]))
    total = 0
    for held in spaces:
        train = [i for i, q in enumerate(on) if q["author"] != held]
        test = [i for i, q in enumerate(on) if q["author"] == held]
        w = max(OVERLAP_WEIGHTS, key=lambda w: (sum(got[w][i] for i in train), -w))
        total += sum(got[w][i] for i in test)
        print(f"quotes, held out {held}: weight {w}", flush=True)
    print(f"quotes: topic-word weight fitted leave-one-creator-out {total / len(on):.3f}", flush=True)


def quote_rate(
    spaces: dict[str, Space],
    qvecs: np.ndarray,
    on: list[dict[str, Any]],
    rank: Callable[[Space, np.ndarray, str], list[int]],
    choosers: dict[str, Callable[..., str]],
) -> None:
    from tests.bench.retrieval.harness import quotes_answer

    hits = dict.fromkeys(choosers, 0)
    for q, v in zip(on, qvecs, strict=True):
        space = spaces[q["author"]]
        top = diversify(space, rank(space, v, q["question"]))
        for name, compose in choosers.items():
            hits[name] += quotes_answer(compose(space, top, v, q["question"]), q["answer_quote"])
    for name, n in hits.items():
        print(f"quotes: {name:52s} {n / len(on):.3f}", flush=True)


def compose_shipped(space: Space, top: list[int], q: np.ndarray, question: str) -> str:
    from backend.twin.extractive import Passage, compose_extractive

    passages = []
    for i in top:
        scored = sentence_scores(space, i, q)
        best = max(scored, default=None)
        passages.append(Passage(str(i), space.texts[i], best[0] if best else 0.0, focus=best[1] if best else None))
    return compose_extractive(question, passages, None)[0]


def _pick_sentences(
    space: Space, top: list[int], q: np.ndarray, score: Callable[..., float], n: int = 3, per_passage: int = 1
) -> str:
    from backend.twin.extractive import sentence_around

    scored = []
    for rank, i in enumerate(top):
        for s, r in sentence_scores(space, i, q):
            quote = sentence_around(space.texts[i], r)
            if quote:
                scored.append((score(s, rank, quote), i, quote))
    scored.sort(key=lambda x: -x[0])
    out: list[str] = []
    used: Counter[int] = Counter()
    for _, i, quote in scored:
        if used[i] >= per_passage or quote in out:
            continue
        used[i] += 1
        out.append(quote)
        if len(out) == n:
            break
    return "\n\n".join(f"> {x} [{k + 1}]" for k, x in enumerate(out))


def _overlap(question: str, quote: str) -> float:
    from backend.twin.extractive import lexical_overlap

    return lexical_overlap(question, quote)


def compose_focus_overlap(space: Space, top: list[int], q: np.ndarray, question: str, w: float = 0.2) -> str:
    """As shipped (first two passages, a third when close), each passage's sentence chosen by its cosine plus
    `w` x its share of the question's topic words."""
    from backend.twin.extractive import Passage, compose_extractive, sentence_around

    passages = []
    for i in top:
        scored = [
            (s + w * _overlap(question, sentence_around(space.texts[i], r) or ""), s, r)
            for s, r in sentence_scores(space, i, q)
        ]
        best = max(scored, default=None)
        passages.append(Passage(str(i), space.texts[i], best[1] if best else 0.0, focus=best[2] if best else None))
    return compose_extractive(question, passages, None)[0]


def compose_now(space: Space, top: list[int], q: np.ndarray, question: str) -> str:
    """The offline reply as it ships: passages carry their scored sentences (backend/twin/extractive.py)."""
    from backend.twin.extractive import Passage, compose_extractive

    passages = []
    for i in top:
        scored = sentence_scores(space, i, q)
        best = max(scored, default=None)
        passages.append(
            Passage(str(i), space.texts[i], best[0] if best else 0.0, focus=best[1] if best else None, sentences=scored)
        )
    return compose_extractive(question, passages, None)[0]


CHOOSERS: dict[str, Callable[..., str]] = {
    "before: first two passages' closest sentences, a third if close": compose_shipped,
    "now: best 3 sentences of the top 5 by cosine + 0.2 x topic words": compose_now,
    "shipped, each passage's sentence by cosine + 0.2 x topic words": compose_focus_overlap,
    "3 best sentences of the top 5, one per passage": lambda sp, top, q, text: _pick_sentences(
        sp, top, q, lambda s, r, quote: s
    ),
    "3 best sentences of the top 3, one per passage": lambda sp, top, q, text: _pick_sentences(
        sp, top[:3], q, lambda s, r, quote: s
    ),
    "3 best of the top 5, any passage": lambda sp, top, q, text: _pick_sentences(
        sp, top, q, lambda s, r, quote: s, per_passage=3
    ),
    "3 best of the top 5, rank penalty 0.02": lambda sp, top, q, text: _pick_sentences(
        sp, top, q, lambda s, r, quote: s - 0.02 * r
    ),
    "upper bound: any whole sentence of the top 5": lambda sp, top, q, text: _pick_sentences(
        sp, top, q, lambda s, r, quote: s, n=99, per_passage=99
    ),
}

if __name__ == "__main__":
    main()
