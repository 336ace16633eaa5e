"""Edition apparatus: what an editor, translator or publisher added to a creator's text.

Footnotes, translator's notes, introductions, bibliographies, page and site headers and chapter titles are
in the uploaded files but are not the creator speaking: a persona learned from them names its themes
"footnotes & never" and quotes "Frag. 475 Usener" as a principle. Parsing keeps them (citations must point
at the file as it is), so synthesis filters them here, at two levels: a passage under an apparatus heading
(a translator's introduction) is left out whole; inside the others, sentences that read as notes are.
"""

from __future__ import annotations

import re

from backend.twin.style import sentences, word_set, words

# Section headings under which the text is the edition's, not the author's.
_APPARATUS_HEADING = re.compile(
    r"\b(introduction|preface|foreword|bibliography|editions?|translations?|translator|index|contents|"
    r"appendix|foot-?notes|end-?notes|notes|glossary|acknowledge?ments?|copyright|general works|the text|"
    r"tr\. by|transcribed)\b",
    re.I,
)
# One of these in a sentence marks it as a note, a reference or publishing boilerplate.
_STRONG = re.compile(
    r"(\b(?:cf|ibid|frag|fr|epp?|sc|viz|lit|mss?|vol|vols|ll|pp|trans|tr|ed|eds|op|loc|cit|nat|hist|tusc|disp)\.(?=\s|,|$)"
    r"|\b(?:i\.\s?e\.|e\.\s?g\.)"
    r"|\b(?:translator|translators|translated|translation|editor|editors|edition|editions|scholiast|commentator|"
    r"manuscripts?|footnotes?|endnotes?|the text reads|reading of|see note|note on|public domain|copyright|"
    r"transcribed|proofed|scanned|sacred-texts|usener|hense|vahlen|haase)\b"
    r"|\bsee (?:also )?(?:[A-Z][a-z]+,|Ep\b|note|Introduction|p\.)|§|\b\d+\s?B\.\s?C\."
    r"|[\u0370-\u03ff\u1f00-\u1fff])",
    re.I,
)
# A reference: "xiii. 53", "iii. 69", "Works and Days, 369", "chapters 18 and 19", "A.D. 49".
_REFERENCE = re.compile(
    r"(\b[ivxlc]+\.\s?\d+|\b\d{1,4}\s?(?:f|ff)\.|,\s?\d{1,4}(?:\.\d+)*\s*[.;)]|\b(?:a\.d|b\.c)\.?\s?\d|"
    r"\bchapters?\s+\d|\bletters?\s+[ivxlc]+\b|\bbook\s+[ivxlc]+\b)",
    re.I,
)
_LATIN = word_set("""
et est non quod qui quae quam sed cum ut nec neque autem enim atque sunt esse hoc tam sic iam nunc ille ipse
tamen nihil omnia mihi tibi sibi eius quid sit ad vel aut ergo erat fuit
""")
# Markers a transcription leaves inside the author's sentences.
_MARKERS = re.compile(r"\[(?:paragraph continues|p\.?\s*\d+|page\s*\d+)\]|<page\s*\d+>", re.I)
_NOTES_HEADER = re.compile(r"(?:foot-?notes|end-?notes|notes)[.:]?", re.I)
_SECTION_START = re.compile(r"\d{1,3}\.\s+[A-Z\"“‘']")
_HEADING_LINE = re.compile(
    r"^\s*(?:(?i:book|chapter|letter|epistle|part|section)\s+(?:\d+|[ivxlcdm]+|[IVXLCDM]+)\b\.?|[IVXLCDM]+\.\s+[^a-z]{6,}|[^a-z]{12,})\s*$"
)


def heading_is_apparatus(heading: str | None) -> bool:
    """True for a passage under an edition heading (introduction, notes, bibliography, index...)."""
    return bool(heading and _APPARATUS_HEADING.search(heading))


def _latin_words(ws: list[str]) -> int:
    return sum(w in _LATIN for w in ws)


def sentence_is_apparatus(sentence: str) -> bool:
    """A note, a reference, a heading or publishing boilerplate rather than the author's own sentence."""
    s = sentence.strip()
    ws = words(s)
    if not ws or _STRONG.search(s) or _HEADING_LINE.match(s):
        return True
    cues = 0
    digits = len(re.findall(r"\b\d+\b", s))
    cues += digits >= 2
    cues += bool(_REFERENCE.search(s))
    cues += _latin_words(ws) >= 2
    capitals = sum(1 for w in re.findall(r"\b[A-Za-z][a-z]+\b", s)[1:] if w[0].isupper())
    cues += len(ws) >= 4 and capitals / len(ws) > 0.34  # lists of names and titles
    cues += len(ws) <= 5 and digits >= 1  # "Frag. 475 Usener", "Hesiod, 369."
    return cues >= 2 or (cues == 1 and len(ws) <= 6)


def _paragraph_is_apparatus(para: str) -> bool:
    ws = words(para)
    if len(ws) >= 80:  # an author's paragraph may cite a source in passing: judged sentence by sentence
        return False
    return bool(_STRONG.search(para)) or sentence_is_apparatus(para) or _HEADING_LINE.match(para) is not None


def author_text(text: str) -> str:
    """The passage as the author wrote it: notes, note blocks, references and headings removed.

    Passages keep their paragraphs ("\n\n"). A "Footnotes" paragraph opens a run of notes that lasts until
    the next numbered section ("2. What ...") or a long paragraph with no mark of a note.
    """
    kept: list[str] = []
    in_notes = False
    text = _MARKERS.sub(" ", text)
    for para in re.split(r"\n\s*\n", text):
        para = para.strip()
        if not para:
            continue
        if _NOTES_HEADER.fullmatch(para):
            in_notes = True
            continue
        if in_notes:
            if _SECTION_START.match(para) or (len(words(para)) >= 60 and not _STRONG.search(para)):
                in_notes = False
            else:
                continue
        if _paragraph_is_apparatus(para):
            continue
        own = [s for s in sentences(para) if not sentence_is_apparatus(s)]
        if own:
            kept.append(" ".join(own))
    return "\n\n".join(kept)


def author_sentences(text: str) -> list[str]:
    """The passage's sentences that are the author's own (notes, references and headings removed)."""
    return [s for para in author_text(text).split("\n\n") for s in sentences(para)]


def apparatus_share(text: str) -> float:
    """0..1: how much of a passage (by words) is apparatus."""
    total = len(words(text))
    if total == 0:
        return 1.0
    own = sum(len(words(s)) for s in author_sentences(text))
    return max(0.0, 1.0 - own / total)


__all__ = [
    "apparatus_share",
    "author_sentences",
    "author_text",
    "heading_is_apparatus",
    "sentence_is_apparatus",
]
