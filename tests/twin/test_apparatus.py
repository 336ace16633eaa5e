"""Edition apparatus is told from the author's words: notes, references, headings, transcription marks."""

from __future__ import annotations

import pytest

from backend.twin.apparatus import apparatus_share, author_sentences, author_text, heading_is_apparatus
from backend.twin.apparatus import sentence_is_apparatus as note
from backend.twin.keyphrases import names_something
from backend.twin.principles import candidate_ok
from backend.twin.style import describe_voice, style_profile

NOTES = [
    "Hesiod, Works and Days, 369.",
    "Frag. 475 Usener",
    "i.e., a word which has a special significance to the Stoics; see Ep. xlviii, note.",
    "The famous aphorism of Hippocrates of Cos: ὁ βίος βραχύς, ἡ δὲ τέχνη μακρή.",
    "Where the testimony of these later MSS. seems sound, the translator has omitted the brackets.",
    "Scanned, proofed and formatted at sacred-texts.com by John Bruno Hare, June 2009.",
    "BOOK I",
    "CHAPTER XII",
    "ON THINGS IN OUR POWER AND THINGS NOT IN OUR POWER",
]
AUTHOR = [
    "It is not that we have a short space of time, but that we waste much of it.",
    "Take away thy opinion, and then there is taken away the complaint, I have been harmed.",
    "Of all things some are in our power, and others are not in our power.",
    "Nothing, Lucilius, is ours, except time.",
    "Believe me, it is better to understand the balance-sheet of one's own life than of the corn-trade.",
]


@pytest.mark.parametrize("sentence", NOTES)
def test_notes_references_and_headings_are_apparatus(sentence: str) -> None:
    assert note(sentence)


@pytest.mark.parametrize("sentence", AUTHOR)
def test_the_authors_sentences_are_not(sentence: str) -> None:
    assert not note(sentence)


def test_a_footnotes_block_is_cut_out_of_a_passage_up_to_the_next_section() -> None:
    passage = (
        "1. The majority of mortals, Paulinus, complain bitterly of the spitefulness of Nature.\n\n"
        "Footnotes\n\n"
        "It is clear from chapters 18 and 19 that, when this essay was written (in or about A.D. 49), "
        "Paulinus was praefectus annonae.\n\n"
        "The rods that were the symbol of high office.\n\n"
        "2. Why do we complain of Nature? She has shown herself kindly [paragraph continues] to us."
    )
    text = author_text(passage)
    assert "praefectus" not in text and "rods" not in text and "Footnotes" not in text
    assert "spitefulness of Nature" in text and "She has shown herself kindly to us" in " ".join(text.split())
    assert 0.2 < apparatus_share(passage) < 0.7
    assert all(not note(s) for s in author_sentences(passage))


def test_headings_of_the_edition() -> None:
    for heading in (
        "INTRODUCTION",
        "Book I Notes",
        "BIBLIOGRAPHY — EDITIONS",
        "SUBJECT INDEX",
        "Volume III. — APPENDIX A",
    ):
        assert heading_is_apparatus(heading), heading
    for heading in (
        "BOOK ONE",
        "BOOK I — CHAPTER I — ON THINGS IN OUR POWER",
        "THE EPISTLES OF SENECA — I. ON SAVING TIME",
    ):
        assert not heading_is_apparatus(heading), heading


def test_signature_phrases_must_name_something() -> None:
    for gram in (("ruling", "faculty"), ("my", "dear", "lucilius"), ("peace", "of", "mind")):
        assert names_something(gram), gram
    for gram in (("you", "say"), ("so", "far"), ("all", "things"), ("thou", "mayest")):
        assert not names_something(gram), gram


def test_principle_candidates_are_general_complete_statements() -> None:
    assert candidate_ok("Take away thy opinion, and then there is taken away the complaint.")
    assert candidate_ok("It is not that we have a short space of time, but that we waste much of it.")
    for bad in (
        "For this man also is one of those shameless men who must of necessity be in the world.",
        "Let a few go, child, and you will get it out.",
        "Why do we complain of Nature?",
        "Socrates used to say that a life which was not put to the test was not worth living.",
        "'Come in then,' he says, 'and be silent.'",
        "and then",
    ):
        assert not candidate_ok(bad), bad


def test_voice_is_described_in_plain_words() -> None:
    clipped = style_profile(["Rise. Do thy work. Waste no time. Be kind. Hold fast to what is good."])
    words = describe_voice(clipped, "thou")
    assert words[0] == "short, direct sentences" and "addresses the reader as 'thou'" in words
    assert "often gives commands" in words and "rarely asks questions" in words
