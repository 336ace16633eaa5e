"""Markdown -> events: ATX and setext headings, list items as their own paragraphs, markup stripped."""

from __future__ import annotations

import re

from backend.knowledge.parsing.events import Event, Heading, Para


def markdown_events(text: str) -> list[Event]:
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if lines and lines[0].strip() == "---":  # YAML front matter is metadata, not prose
        end = next((i for i, line in enumerate(lines[1:], 1) if line.strip() in ("---", "...")), 0)
        lines = lines[end + 1 :]
    events: list[Event] = []
    para: list[str] = []
    fence = False

    def flush() -> None:
        if para:
            events.append(Para(para.copy(), None))
            para.clear()

    for i, raw in enumerate(lines):
        s = raw.strip()
        if s.startswith(("```", "~~~")):
            flush()
            fence = not fence
            continue
        if fence:
            para.append(raw.rstrip())
            continue
        nxt = lines[i + 1].strip() if i + 1 < len(lines) else ""
        atx = re.match(r"(#{1,6})\s+(.*?)\s*#*$", s)
        if atx or (s and para == [] and re.fullmatch(r"=+|-+", nxt) and not s.startswith(("-", "*", "|"))):
            flush()
            level = len(atx.group(1)) if atx else (1 if nxt.startswith("=") else 2)
            events.append(Heading(level, _md_inline(atx.group(2) if atx else s)))
        elif not s or re.fullmatch(r"(=+|-{3,}|\*{3,}|_{3,}|\|?[\s:|-]+\|[\s:|-]*)", s):
            flush()
        elif re.match(r"([-*+]|\d+[.)])\s+", s):  # list items stay separate units
            flush()
            para.append(_md_inline(re.sub(r"^([-*+]|\d+[.)])\s+(\[[ xX]\]\s+)?", "", s)))
            flush()
        else:
            para.append(_md_inline(s))
    flush()
    return events


def _md_inline(s: str) -> str:
    s = re.sub(r"^(>\s?)+", "", s)
    s = re.sub(r"!\[([^\]]*)\]\([^)]*\)", r"\1", s)
    s = re.sub(r"\[([^\]]+)\]\([^)]*\)", r"\1", s)
    s = re.sub(r"<!--.*?-->|</?[a-zA-Z][^>]*>", "", s)
    s = re.sub(r"(\*\*|__|\*|`|~~)(\S(?:.*?\S)?)\1", r"\2", s)
    s = s.strip("| ").replace(" | ", " ; ") if s.startswith("|") else s
    return s
