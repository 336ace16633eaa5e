"""Events -> blocks: heading paths, paragraphs joined across page breaks, footnote marks and index entries dropped."""

from __future__ import annotations

import re
from collections import Counter

from backend.knowledge.parsing.events import INLINE_REF, Block, Event, Heading, Para

_FOOTNOTE = re.compile(r"\[(?:\d{1,3}|\*[a-z]-\d+)\]")
_TERMINAL = tuple(".!?:;\"'”’)]—-")


def _join_lines(lines: list[str]) -> str:
    out = lines[0]
    for line in lines[1:]:
        # "para-\ngraph": typesetting split a word; a real dash ("day--") or "self-\nControl" stays
        out = out[:-1] + line if out.endswith("-") and out[-2:-1].isalpha() and line[:1].islower() else f"{out} {line}"
    return out


def _run(events: list[Event], i: int) -> list[Heading]:
    run: list[Heading] = []
    while i < len(events) and isinstance(events[i], Heading):
        run.append(events[i])  # type: ignore[arg-type]
        i += 1
    return run


def assemble(events: list[Event]) -> tuple[list[Block], str | None]:
    path: dict[int, str] = {}
    last_level = 1
    first_heading: str | None = None
    rows: list[list] = []  # [text, page, heading, sealed_by_heading]
    for i, ev in enumerate(events):
        if isinstance(ev, Heading):
            if i and isinstance(events[i - 1], Heading):
                continue  # handled with the first heading of its run
            run = _run(events, i)
            levels = Counter(h.level for h in run if not h.join)
            if levels and max(levels.values()) >= 3:  # a table of contents, not the start of a section
                continue
            for h in run:
                text = re.sub(r"\s+", " ", _FOOTNOTE.sub("", h.text)).strip()
                first_heading = first_heading or text
                if h.join and last_level in path:
                    path[last_level] = f"{path[last_level]} — {text}"
                else:
                    path = {k: v for k, v in path.items() if k < h.level}
                    path[h.level], last_level = text, h.level
            if rows:
                rows[-1][3] = True
            continue
        assert isinstance(ev, Para)
        raw = _join_lines(ev.lines)
        refs = len(INLINE_REF.findall(raw))
        text = _FOOTNOTE.sub("", INLINE_REF.sub("", raw))
        text = re.sub(r"\s+", " ", text.replace("\x00", "")).strip().lstrip("↑ ")
        words = len(text.split())
        if not text or (refs and (words <= 20 or refs * 6 >= words)):  # index entries: "Anger, <page 462>"
            continue
        heading = " — ".join(path[k] for k in sorted(path)) or None
        prev = rows[-1] if rows else None
        # a paragraph cut by a page break continues in lower case after the marker
        if (
            prev
            and ev.page not in (None, prev[1])
            and not prev[3]
            and prev[2] == heading
            and not prev[0].endswith(_TERMINAL)
            and text[0].islower()
        ):
            prev[0] = f"{prev[0]} {text}"
            continue
        rows.append([text, ev.page, heading, False])
    blocks, offset = [], 0
    for text, page, heading, _ in rows:
        blocks.append(Block(text=text, page=page, heading=heading, offset=offset))
        offset += len(text) + 2
    return blocks, first_heading
