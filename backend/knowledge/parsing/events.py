"""What every format's parser produces: paragraphs and headings (events), then blocks."""

from __future__ import annotations

import re
from dataclasses import dataclass

SUPPORTED = "Supported formats are PDF, Word (.docx), plain text and Markdown."
# A page reference inside a line ("<page 12>", "[p. 12]"): not a page break; index entries are made of them
INLINE_REF = re.compile(r"\s*(?:<page\s+\w+>|\[pp?\.\s*\w+\])(?:\s*-\s*(?:<page\s+\w+>|\[pp?\.\s*\w+\]))?", re.I)


class DocumentError(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Block:
    text: str
    page: int | None
    heading: str | None
    offset: int  # char offset in the normalised text: all block texts joined by "\n\n"


@dataclass(frozen=True)
class ParsedDocument:
    kind: str
    title: str | None
    blocks: list[Block]


@dataclass
class Heading:
    level: int
    text: str
    join: bool = False  # a subtitle right after another heading joins it ("CHAPTER I — ON ...")


@dataclass
class Para:
    lines: list[str]
    page: int | None


Event = Heading | Para
