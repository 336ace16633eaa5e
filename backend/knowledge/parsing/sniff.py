"""Bytes -> which format, and the text of the text formats; refuses what is not a document."""

from __future__ import annotations

import codecs
import io
import re
import zipfile

from backend.knowledge.parsing.events import SUPPORTED, DocumentError

_MAGIC = [
    (b"\x89PNG", "an image (PNG)"),
    (b"\xff\xd8\xff", "an image (JPEG)"),
    (b"GIF8", "an image (GIF)"),
    (b"RIFF", "a media file"),
    (b"ID3", "an audio file"),
    (b"\xd0\xcf\x11\xe0", "an old-style Office file (.doc); please save it as .docx and upload that"),
    (b"{\\rtf", "an RTF file; please save it as .docx or PDF and upload that"),
    (b"\x1f\x8b", "a compressed archive"),
    (b"Rar!", "a compressed archive"),
    (b"7z\xbc\xaf", "a compressed archive"),
]
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f\ufffd]")


def too_big(size: int, max_bytes: int) -> DocumentError:
    return DocumentError(f"The file is {size / 1e6:.1f} MB; the limit is {max_bytes / 1e6:.0f} MB.")


def _decode(data: bytes) -> str:
    """Bytes -> text, coping with BOMs and files whose lines mix UTF-8 and Windows-1252."""
    if data.startswith(codecs.BOM_UTF8):
        text = data[3:].decode("utf-8", errors="replace")
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        text = data.decode("utf-16", errors="replace")
    else:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            text = "\n".join(_decode_line(line) for line in data.split(b"\n"))
    sample = text[:200_000]
    if sample.strip() and len(_CONTROL.findall(sample)) > 0.02 * len(sample):
        raise DocumentError(f"This file does not contain readable text; it looks like binary data. {SUPPORTED}")
    return text


def _decode_line(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode("cp1252")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def sniff(data: bytes, filename: str | None) -> tuple[str, str | None]:
    if not data.strip():
        raise DocumentError("The file is empty.")
    if b"%PDF-" in data[:1024]:
        return "pdf", None
    if data.startswith(b"PK\x03\x04"):
        try:
            names = zipfile.ZipFile(io.BytesIO(data)).namelist()
        except (zipfile.BadZipFile, ValueError, OSError) as exc:
            raise DocumentError("The file looks like a damaged Word or ZIP file and cannot be opened.") from exc
        if "word/document.xml" in names:
            return "docx", None
        raise DocumentError(f"This is a ZIP archive or another Office format, not a document we can read. {SUPPORTED}")
    for magic, what in _MAGIC:
        if data.startswith(magic):
            raise DocumentError(f"This file is {what}, not a text document. {SUPPORTED}")
    text = _decode(data)
    ext = filename.rsplit(".", 1)[-1].lower() if filename and "." in filename else ""
    if ext in ("md", "markdown", "mdown", "mkd"):
        return "md", text
    if ext in ("txt", "text"):
        return "txt", text
    md = re.search(r"^(#{1,6} \S|```|\* \S|- \S)|\]\(https?://", text[:20_000], re.M)
    return ("md" if md else "txt"), text
