"""Plain text (and PDF page text) -> events: page markers, running headers and detected headings."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

from backend.knowledge.parsing.events import INLINE_REF, Event, Heading, Para

_PAGE_LINE = re.compile(r"(?:<page\s+(\d+)>|\[p(?:age|p?\.)\s*(\d+)\])", re.I)
_KEY1 = re.compile(r"(?:book|part|volume)\s+([ivxlcdm]+|\d+|[a-z]+)\b\.?", re.I)
_KEY2 = re.compile(r"(?:chapter|letter|epistle|section|lecture|lesson|discourse)\s+([ivxlcdm]+|\d+|[a-z]+)\b\.?", re.I)
_ROMAN_TITLE = re.compile(r"[IVXLCDM]+\.\s+[^a-z]+")


def plain_events(pages: Sequence[tuple[int | None, str]]) -> list[Event]:
    """Plain text (or PDF page text) -> paragraphs and detected headings."""
    seen = Counter(s for _, text in pages for s in (line.strip() for line in text.splitlines()) if len(s) >= 20)
    running = {s for s, n in seen.items() if n >= 8 or (n >= 3 and _heading_level(s) is None)}
    events: list[Event] = []
    para: list[str] = []
    para_page: int | None = None
    for page, text in pages:
        for raw in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
            s = raw.strip()
            marker = _PAGE_LINE.fullmatch(s)
            if marker:  # a page marker alone on its line is a page break; inline ones are references
                page = int(marker.group(1) or marker.group(2))
                continue
            if s in running or (s and not any(c.isalnum() for c in s)):
                continue
            if not s:
                if para:
                    events.append(Para(para, para_page))
                    para = []
                continue
            level = _heading_level(s) if not para else None
            if level is not None:
                titled = level == 2 and not (_KEY2.match(s) or _ROMAN_TITLE.fullmatch(s))
                after_heading = bool(events) and isinstance(events[-1], Heading)
                # a caps/title line opens a part ("THE MANUAL"), or subtitles the heading just before it
                events.append(Heading(1 if titled and not after_heading else level, s, join=titled and after_heading))
                continue
            if not para:
                para_page = page
            para.append(s)
        if para:
            events.append(Para(para, para_page))
            para = []
    return events


def _heading_level(s: str) -> int | None:
    if len(s) > 100 or INLINE_REF.search(s):
        return None
    if _KEY1.fullmatch(s):
        return 1
    if _KEY2.fullmatch(s) or _ROMAN_TITLE.fullmatch(s) or re.fullmatch(r"book\s+\w+\.?\s+notes\.?", s, re.I):
        return 2
    if re.fullmatch(r"\d{1,3}[a-z]?", s):
        return 3
    letters = [c for c in s if c.isalpha()]
    if len(letters) >= 3 and all(c.isupper() for c in letters) and not s.endswith((",", ";")):
        return 2
    words = s.split()
    if (
        s[0].isalpha()
        and 2 <= len(words) <= 10
        and not s.endswith((".", ",", ";", ":", "!", "?"))
        and all(w[0].isupper() or len(w) <= 3 for w in words if w[0].isalpha())
    ):
        return 2
    return None
