"""Word (.docx) -> events: headings from paragraph styles, tables as one row per line. Zip bombs are refused."""

from __future__ import annotations

import io
import re
import zipfile

from backend.knowledge.parsing.events import DocumentError, Event, Heading, Para

MAX_ZIP_MEMBERS = 2000
MAX_UNZIPPED = 200 * 1024 * 1024
MAX_RATIO = 150  # real .docx XML compresses ~10-30x; a bomb compresses 1000x+


def word_events(data: bytes) -> tuple[str | None, list[Event]]:
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = zf.infolist()
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise DocumentError("The Word file is damaged and cannot be opened.") from exc
    # zipfile never inflates a member past its declared size, so checking declared sizes bounds the work.
    total = sum(i.file_size for i in infos)
    ratio = max((i.file_size / max(i.compress_size, 1) for i in infos if i.file_size > 1_000_000), default=0)
    if len(infos) > MAX_ZIP_MEMBERS or total > MAX_UNZIPPED or ratio > MAX_RATIO:
        raise DocumentError("The Word file is built abnormally (it would expand to an enormous size) and was rejected.")
    import docx
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    try:
        document = docx.Document(io.BytesIO(data))
        title = (document.core_properties.title or "").strip() or None
        events: list[Event] = []
        for item in document.iter_inner_content():
            if isinstance(item, Table):
                for row in item.rows:
                    cells = list(dict.fromkeys(c.text.strip() for c in row.cells if c.text.strip()))
                    if cells:
                        events.append(Para([" | ".join(cells)], None))
                continue
            assert isinstance(item, Paragraph)
            text = item.text.replace("\x00", "").strip()
            style = (item.style.name if item.style is not None else "") or ""
            level = re.fullmatch(r"Heading (\d)", style)
            if text and (level or style == "Title"):
                events.append(Heading(int(level.group(1)) if level else 1, text))
                title = title or (text if style == "Title" else None)
            elif text:
                events.append(Para(text.split("\n"), None))
    except MemoryError:
        raise  # the parsing child's memory limit: answered as "expands to too much data"
    except Exception as exc:  # python-docx/lxml raise assorted errors on malformed parts
        raise DocumentError("The Word file is damaged and cannot be read. Try saving it again.") from exc
    return title, events
