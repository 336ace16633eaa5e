"""Noun phrases of a creator's text: the candidates a theme is named by.

A theme labelled with word pairs ("power & things") says little; the phrases a reader remembers are noun
phrases ("the ruling faculty", "things in our power", "the shortness of life"). They are found with an
English part-of-speech lexicon (lemminflect's, shipped inside the package: no model, no download), corrected
by how this author uses each word (a word mostly seen after "to" or "we" is a verb here).
"""

from __future__ import annotations

import functools
import itertools
import re
from collections import Counter

from backend.twin.style import STOPWORDS, word_set

_CLAUSE = re.compile(r"[.;:,!?—–()\[\]\"“”‘’]|\s'|'\s|--")
_TOKEN = re.compile(r"[A-Za-z]+(?:-[A-Za-z]+)*")
_DETERMINERS = word_set("""
the a an our my your thy his her their its one's this that these those every no such all
""")
_LINKS = word_set("""
of in within
""")
# Nouns too general to name a theme on their own (they may still head a longer phrase).
GENERIC = word_set("""
thing things man men way kind sort manner fact case respect matter sake lot number place side point part
person persons people fellow fellows others other one ones something nothing anything everything
word words name names question answer reasons use end beginning times lives hand hands eye eyes
""")
# Quantities and pointers are not what a theme is about ("many things", "certain thing").
_QUANTIFIERS = word_set("""
many much more most few several certain such same other own various great greater little less least small
last first next entire mere very
""")
# Words of the edition, never of a theme.
_APPARATUS = word_set("""
footnote footnotes note notes translator translation edition editor chapter chapters book books letter letters
page pages volume text texts epistle epistles preface introduction index appendix cf ibid frag ed
""")


@functools.cache
def tags(word: str) -> frozenset[str]:
    """The parts of speech English allows for the word ("NOUN", "ADJ", "VERB", "ADV"); empty if unknown."""
    from lemminflect import getAllLemmas

    return frozenset(getAllLemmas(word))


@functools.cache
def lemma(word: str) -> str:
    """The noun's singular when the word is a noun ("impressions" -> "impression"), else the word."""
    from lemminflect import getAllLemmas

    found = getAllLemmas(word).get("NOUN")
    return found[0] if found else word


# Closed-class words the lexicon also lists as nouns.
_CLOSED = word_set("""
neither either another whose whatever whoever whichever none each both thee thou thy hath doth art whether
well yes nay comes left back long possible contrary ought sir farewell rest
""")


def _nounish(word: str) -> bool:
    return (
        word not in STOPWORDS
        and word not in _CLOSED
        and len(word) > 2
        and "NOUN" in tags(word)
        and word not in _APPARATUS
    )


def _modifier(word: str) -> bool:
    return (
        word not in STOPWORDS
        and len(word) > 2
        and bool(tags(word) & {"ADJ", "NOUN"})
        and word not in _APPARATUS
        and word not in _QUANTIFIERS
        and word not in _CLOSED
    )


def _runs(tokens: list[str]) -> list[tuple[int, int]]:
    """Maximal spans of modifiers ending in a noun: (start, end) with tokens[end - 1] a noun."""
    spans: list[tuple[int, int]] = []
    i = 0
    while i < len(tokens):
        if not _modifier(tokens[i]):
            i += 1
            continue
        j = i
        while j < len(tokens) and _modifier(tokens[j]) and j - i < 3:
            j += 1
        end = j
        while end > i and not _nounish(tokens[end - 1]):
            end -= 1
        if end > i:
            spans.append((i, end))
        i = max(j, i + 1)
    return spans


def candidates(clause_tokens: list[str]) -> list[tuple[str, ...]]:
    """Noun phrases of one clause (lower-case tokens), with their sub-phrases and "X of Y" joins."""
    runs = _runs(clause_tokens)
    out: list[tuple[str, ...]] = []
    for s, e in runs:
        for a in range(s, e):  # every suffix that still ends in the noun: "universal nature", "nature"
            out.append(tuple(clause_tokens[a:e]))
    for (s1, e1), (s2, e2) in itertools.pairwise(runs):
        between = clause_tokens[e1:s2]
        if 1 <= len(between) <= 2 and between[0] in _LINKS and all(w in _DETERMINERS for w in between[1:]):
            # "shortness of life", "fear of death", "things in our power"
            out.append(tuple(clause_tokens[e1 - 1 : e2]) if e1 - s1 > 1 else tuple(clause_tokens[s1:e2]))
    return out


def clauses(text: str) -> list[list[str]]:
    """Lower-case word tokens of each clause; capitalised names unknown to the lexicon are left out."""
    out: list[list[str]] = []
    for clause in _CLAUSE.split(text):
        tokens: list[str] = []
        for m in _TOKEN.finditer(clause):
            w = m.group(0)
            low = w.lower()
            if w[0].isupper() and m.start() > 0 and not tags(low):
                tokens.append("\x00")  # a proper name breaks a phrase ("Socrates", "Lucilius")
                continue
            tokens.append(low)
        if tokens:
            out.append(tokens)
    return out


def lemma_key(phrase: tuple[str, ...]) -> tuple[str, ...]:
    """The phrase with its head noun in the singular: "impressions" and "impression" count as one."""
    return (*phrase[:-1], lemma(phrase[-1]))


def content_of(phrase: tuple[str, ...]) -> list[str]:
    return [w for w in phrase if w not in STOPWORDS and w not in _LINKS]


# A word right after one of these is being used as a verb ("to die", "we take", "cannot pay").
_VERB_CUES = word_set("""
to not will shall can cannot must may might would should could i we you thou ye they he she let did does do
""")


def verbal_words(token_lists: list[list[str]]) -> set[str]:
    """Words this author mostly uses as verbs though the lexicon allows a noun ("take", "pay", "die")."""
    seen: Counter[str] = Counter()
    as_verb: Counter[str] = Counter()
    for toks in token_lists:
        for prev, w in zip(["\x00", *toks], toks, strict=False):
            if "VERB" in tags(w):
                seen[w] += 1
                as_verb[w] += prev in _VERB_CUES
    return {w for w, n in seen.items() if as_verb[w] >= 0.2 * n}


# Verbs of speech and thought: "you say", "he says", "you think" are how an author argues, not what he says.
_REPORTING = word_set("""
say says said think thinks ask asks tell tells come comes know knows wish wishes see sees mean means reply
want wants cannot enough midst two
""")


def names_something(gram: tuple[str, ...]) -> bool:
    """A phrase that holds a word naming a thing or a quality ("ruling faculty", "my dear lucilius"), not
    only pronouns and verbs ("you say", "so far", "all things")."""
    for w in gram:
        if w in STOPWORDS or w in GENERIC or w in _CLOSED or w in _REPORTING or w in _QUANTIFIERS:
            continue
        found = tags(w)
        if "NOUN" in found or (not found and len(w) >= 5 and not w.endswith(("est", "st", "eth"))):
            return True  # a noun, or a name the lexicon does not know ("lucilius"; not "mayest")
    return False


__all__ = [
    "GENERIC",
    "candidates",
    "clauses",
    "content_of",
    "lemma",
    "lemma_key",
    "names_something",
    "tags",
    "verbal_words",
]
