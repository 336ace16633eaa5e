"""Uploaded file -> clean text blocks that remember their page and heading. Pure: no I/O, no database.

Every failure a creator can cause surfaces as DocumentError with a sentence they can act on.
"""

from __future__ import annotations

from backend.knowledge.parsing.assemble import assemble
from backend.knowledge.parsing.events import SUPPORTED, Block, DocumentError, ParsedDocument
from backend.knowledge.parsing.markdown import markdown_events
from backend.knowledge.parsing.pdf import pdf_events
from backend.knowledge.parsing.plain import plain_events
from backend.knowledge.parsing.sniff import sniff, too_big
from backend.knowledge.parsing.word import word_events

__all__ = ["SUPPORTED", "Block", "DocumentError", "ParsedDocument", "detect_kind", "parse_document"]


def detect_kind(data: bytes, filename: str | None = None) -> str:
    return sniff(data, filename)[0]


def parse_document(data: bytes, filename: str | None = None, *, max_bytes: int = 25 * 1024 * 1024) -> ParsedDocument:
    if len(data) > max_bytes:
        raise too_big(len(data), max_bytes)
    kind, text = sniff(data, filename)
    title: str | None = None
    if kind == "pdf":
        title, events = pdf_events(data)
    elif kind == "docx":
        title, events = word_events(data)
    elif kind == "md":
        events = markdown_events(text or "")
    else:
        events = plain_events([(None, text or "")])
    blocks, first_heading = assemble(events)
    if not blocks:
        raise DocumentError("The document contains no readable text. If it is a scan, export it with a text layer.")
    return ParsedDocument(kind=kind, title=title or first_heading, blocks=blocks)
