"""Chunking: fits MiniLM, overlaps, respects headings, keeps locations; de-duplication; speed on real corpora."""

from __future__ import annotations

import itertools
import json
import re
import time
from collections import Counter
from pathlib import Path

import pytest
from transformers import AutoTokenizer

from backend.knowledge.chunking import Chunk, Chunker, deduplicate, default_tokenizer_path
from backend.knowledge.parsing import Block, ParsedDocument, parse_document
from tests.corpora import CORPORA

QUESTIONS = Path(__file__).parents[1] / "bench" / "retrieval" / "questions.json"


@pytest.fixture(scope="module")
def chunker() -> Chunker:
    return Chunker()


@pytest.fixture(scope="module")
def real_tokenizer() -> object:
    return AutoTokenizer.from_pretrained(default_tokenizer_path(), local_files_only=True)


@pytest.fixture(scope="module")
def corpora(chunker: Chunker) -> dict[str, tuple[ParsedDocument, list[Chunk]]]:
    out = {}
    for path in sorted(CORPORA.glob("*.txt")):
        doc = parse_document(path.read_bytes(), path.name)
        out[path.stem] = (doc, chunker.chunk(doc))
    return out


def doc_of(*blocks: tuple[str, str | None, int | None]) -> ParsedDocument:
    out, offset = [], 0
    for text, heading, page in blocks:
        out.append(Block(text=text, page=page, heading=heading, offset=offset))
        offset += len(text) + 2
    return ParsedDocument(kind="txt", title=None, blocks=out)


def test_small_paragraphs_pack_and_headings_split(chunker: Chunker) -> None:
    doc = doc_of(("Be kind.", "A", 1), ("Be brief.", "A", 1), ("Be brave.", "B", 2))
    chunks = chunker.chunk(doc)
    assert [(c.text, c.heading, c.page, c.offset, c.ordinal) for c in chunks] == [
        ("Be kind.\n\nBe brief.", "A", 1, 0, 0),
        ("Be brave.", "B", 2, 21, 1),
    ]
    assert chunks[0].token_count == chunker.count("Be kind. Be brief.") == 6
    assert chunks[1].location == {"page": 2, "heading": "B", "offset": 21}
    assert chunker.chunk(doc_of(("x y", None, None)))[0].location == {"offset": 0}


def test_long_paragraph_splits_at_sentences_with_overlap(chunker: Chunker) -> None:
    sentences = [f"Sentence number {i} talks about patience and anger at work." for i in range(120)]
    para = " ".join(sentences)
    chunks = chunker.chunk(doc_of(("Intro line.", "H", None), (para, "H", None)))
    assert len(chunks) > 5
    for prev, nxt in itertools.pairwise(chunks):
        assert nxt.token_count <= 200
        assert nxt.text.startswith("Sentence number") and prev.text.endswith("work.")  # sentence boundaries
        assert nxt.offset < prev.offset + len(prev.text)  # overlap
        assert chunker.count(para[nxt.offset - 13 : prev.offset + len(prev.text) - 13]) <= 40


def test_unpunctuated_text_splits_at_words(chunker: Chunker) -> None:
    words = " ".join(f"word{i % 50} plain" for i in range(1500))
    chunks = chunker.chunk(doc_of((words, None, None)))
    normalised = words
    for c in chunks:
        assert c.token_count <= 200 and c.token_count == chunker.count(c.text)
        assert normalised[c.offset : c.offset + len(c.text)] == c.text
        assert not c.text[0].isspace() and normalised[c.offset - 1 : c.offset] in ("", " ")


def test_dedupe_exact_and_near(corpora: dict[str, tuple[ParsedDocument, list[Chunk]]]) -> None:
    _, chunks = corpora["meditations"]
    base = chunks[10]
    words = base.text.split()
    words[len(words) // 2] = "zebra"  # one word changed: a near duplicate
    near = Chunk(" ".join(words), None, None, 0, 0, base.token_count)
    exact = Chunk("  " + base.text.upper() + " ", None, None, 0, 0, base.token_count)  # same after normalising
    distinct = chunks[11]
    mixed = [*chunks[:12], exact, near, distinct]
    out = deduplicate(mixed)
    assert len(out) == 12
    assert [c.text for c in out] == [c.text for c in chunks[:12]]
    assert [c.ordinal for c in out] == list(range(12))
    assert len(deduplicate(chunks)) == len(chunks)  # overlapping neighbours are not duplicates
    assert len(deduplicate([base, near], near_threshold=0.99)) == 2


def test_corpora_chunks_fit_the_model(corpora: dict, real_tokenizer: object) -> None:
    for name, (doc, chunks) in corpora.items():
        assert len(chunks) > 80, name
        assert [c.ordinal for c in chunks] == list(range(len(chunks)))
        normalised = "\n\n".join(b.text for b in doc.blocks)
        ids = real_tokenizer(  # type: ignore[operator]
            [c.text for c in chunks], add_special_tokens=True, truncation=False, verbose=False
        )["input_ids"]
        for c, seq in zip(chunks, ids, strict=True):
            assert len(seq) <= 256 and len(seq) == c.token_count + 2, (name, c.ordinal)
            assert normalised[c.offset : c.offset + len(c.text)] == c.text
            assert c.text == c.text.strip()
        overlaps = sum(
            1 for a, b in itertools.pairwise(chunks) if a.heading == b.heading and b.offset < a.offset + len(a.text)
        )
        assert overlaps > len(chunks) // 4, name
        headings = {c.heading for c in chunks}
        assert len(headings) >= 2, name


def test_corpora_locations(corpora: dict) -> None:
    _, chunks = corpora["discourses"]
    assert sum(c.page is not None for c in chunks) > 0.95 * len(chunks)
    first = next(c for c in chunks if c.text.startswith("OF OUR faculties"))
    assert first.location["page"] == 224 and first.heading.startswith("BOOK I — CHAPTER I — ")
    _, letters = corpora["moral_letters_to_Lucilius"]
    assert any(c.heading and c.heading.endswith("I. ON SAVING TIME") for c in letters)


def test_chunking_discourses_is_fast(chunker: Chunker, corpora: dict) -> None:
    doc, _ = corpora["discourses"]
    best = min(_timed(chunker, doc) for _ in range(2))
    print(f"chunking discourses: {best:.2f}s")
    assert best < 2.0


def _timed(chunker: Chunker, doc: ParsedDocument) -> float:
    start = time.perf_counter()
    chunker.chunk(doc)
    return time.perf_counter() - start


def test_question_set(corpora: dict) -> None:
    """Every answer is verbatim in its corpus (whitespace collapsed) and survives parsing whole in some chunk."""
    items = json.loads(QUESTIONS.read_text())
    assert len({q["id"] for q in items}) == len(items) >= 150
    assert {q["difficulty"] for q in items} == {"easy", "medium", "hard"}
    assert min(Counter(q["corpus"] for q in items).values()) >= 12
    for q in items:
        raw = re.sub(r"\s+", " ", (CORPORA / f"{q['corpus']}.txt").read_text(encoding="utf-8"))
        quote = re.sub(r"\s+", " ", q["answer_quote"])
        assert 8 <= len(quote.split()) <= 40 and quote in raw, q["id"]
        assert quote.lower() not in q["question"].lower()
        _, chunks = corpora[q["corpus"]]
        assert any(quote in re.sub(r"\s+", " ", c.text) for c in chunks), q["id"]
