"""PDF -> events, page by page, through the plain-text rules (PDF text has no structure of its own)."""

from __future__ import annotations

import io

from backend.knowledge.parsing.events import DocumentError, Event
from backend.knowledge.parsing.plain import plain_events


def pdf_events(data: bytes) -> tuple[str | None, list[Event]]:
    import pypdf
    from pypdf.errors import FileNotDecryptedError, PdfReadError

    try:
        reader = pypdf.PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted and not reader.decrypt(""):  # an empty user password still opens
            raise DocumentError("The PDF is password-protected. Remove the password and upload it again.")
        pages = [(i + 1, _pdf_paragraphs(page.extract_text() or "")) for i, page in enumerate(reader.pages)]
        title = reader.metadata.title if reader.metadata else None
    except (DocumentError, MemoryError):
        raise
    except FileNotDecryptedError as exc:
        raise DocumentError("The PDF is password-protected. Remove the password and upload it again.") from exc
    except (PdfReadError, Exception) as exc:  # pypdf raises many types on damaged files
        raise DocumentError("The PDF is damaged or incomplete and cannot be read. Try exporting it again.") from exc
    return (str(title).strip() or None) if title else None, plain_events(pages)


def _pdf_paragraphs(text: str) -> str:
    """PDF text has no blank lines: end a paragraph after a short line that ends a sentence."""
    lines = text.replace("\x00", "").splitlines()
    width = max((len(line.strip()) for line in lines), default=0)
    out: list[str] = []
    for line in lines:
        out.append(line)
        s = line.strip()
        if s.endswith((".", "!", "?", ":", '"', "”")) and len(s) < 0.75 * width:
            out.append("")
    return "\n".join(out)
