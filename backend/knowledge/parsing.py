"""Uploaded file -> clean text blocks that remember their page and heading. Pure: no I/O, no database.

Every failure a creator can cause surfaces as DocumentError with a sentence they can act on.
"""

from __future__ import annotations

import codecs
import io
import re
import zipfile
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

SUPPORTED = "Supported formats are PDF, Word (.docx), plain text and Markdown."
MAX_ZIP_MEMBERS = 2000
MAX_UNZIPPED = 200 * 1024 * 1024
MAX_RATIO = 150  # real .docx XML compresses ~10-30x; a bomb compresses 1000x+


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
class _Heading:
    level: int
    text: str
    join: bool = False  # a subtitle right after another heading joins it ("CHAPTER I — ON ...")


@dataclass
class _Para:
    lines: list[str]
    page: int | None


_Event = _Heading | _Para

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
_PAGE_LINE = re.compile(r"(?:<page\s+(\d+)>|\[p(?:age|p?\.)\s*(\d+)\])", re.I)
_INLINE_REF = re.compile(r"\s*(?:<page\s+\w+>|\[pp?\.\s*\w+\])(?:\s*-\s*(?:<page\s+\w+>|\[pp?\.\s*\w+\]))?", re.I)
_FOOTNOTE = re.compile(r"\[(?:\d{1,3}|\*[a-z]-\d+)\]")
_KEY1 = re.compile(r"(?:book|part|volume)\s+([ivxlcdm]+|\d+|[a-z]+)\b\.?", re.I)
_KEY2 = re.compile(r"(?:chapter|letter|epistle|section|lecture|lesson|discourse)\s+([ivxlcdm]+|\d+|[a-z]+)\b\.?", re.I)
_ROMAN_TITLE = re.compile(r"[IVXLCDM]+\.\s+[^a-z]+")
_TERMINAL = tuple(".!?:;\"'”’)]—-")


def _too_big(size: int, max_bytes: int) -> DocumentError:
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


def _sniff(data: bytes, filename: str | None) -> tuple[str, str | None]:
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


def detect_kind(data: bytes, filename: str | None = None) -> str:
    return _sniff(data, filename)[0]


def parse_document(data: bytes, filename: str | None = None, *, max_bytes: int = 25 * 1024 * 1024) -> ParsedDocument:
    if len(data) > max_bytes:
        raise _too_big(len(data), max_bytes)
    kind, text = _sniff(data, filename)
    title: str | None = None
    if kind == "pdf":
        title, events = _pdf(data)
    elif kind == "docx":
        title, events = _docx(data)
    elif kind == "md":
        events = _markdown(text or "")
    else:
        events = _plain([(None, text or "")])
    blocks, first_heading = _assemble(events)
    if not blocks:
        raise DocumentError("The document contains no readable text. If it is a scan, export it with a text layer.")
    return ParsedDocument(kind=kind, title=title or first_heading, blocks=blocks)


# ---- formats -> events ---------------------------------------------------------------------------------------


def _pdf(data: bytes) -> tuple[str | None, list[_Event]]:
    import pypdf
    from pypdf.errors import FileNotDecryptedError, PdfReadError

    try:
        reader = pypdf.PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted and not reader.decrypt(""):  # an empty user password still opens
            raise DocumentError("The PDF is password-protected. Remove the password and upload it again.")
        pages = [(i + 1, _pdf_paragraphs(page.extract_text() or "")) for i, page in enumerate(reader.pages)]
        title = reader.metadata.title if reader.metadata else None
    except DocumentError:
        raise
    except FileNotDecryptedError as exc:
        raise DocumentError("The PDF is password-protected. Remove the password and upload it again.") from exc
    except (PdfReadError, Exception) as exc:  # pypdf raises many types on damaged files
        raise DocumentError("The PDF is damaged or incomplete and cannot be read. Try exporting it again.") from exc
    return (str(title).strip() or None) if title else None, _plain(pages)


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


def _docx(data: bytes) -> tuple[str | None, list[_Event]]:
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
        events: list[_Event] = []
        for item in document.iter_inner_content():
            if isinstance(item, Table):
                for row in item.rows:
                    cells = list(dict.fromkeys(c.text.strip() for c in row.cells if c.text.strip()))
                    if cells:
                        events.append(_Para([" | ".join(cells)], None))
                continue
            assert isinstance(item, Paragraph)
            text = item.text.replace("\x00", "").strip()
            style = (item.style.name if item.style is not None else "") or ""
            level = re.fullmatch(r"Heading (\d)", style)
            if text and (level or style == "Title"):
                events.append(_Heading(int(level.group(1)) if level else 1, text))
                title = title or (text if style == "Title" else None)
            elif text:
                events.append(_Para(text.split("\n"), None))
    except Exception as exc:  # python-docx/lxml raise assorted errors on malformed parts
        raise DocumentError("The Word file is damaged and cannot be read. Try saving it again.") from exc
    return title, events


def _markdown(text: str) -> list[_Event]:
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if lines and lines[0].strip() == "---":  # YAML front matter is metadata, not prose
        end = next((i for i, line in enumerate(lines[1:], 1) if line.strip() in ("---", "...")), 0)
        lines = lines[end + 1 :]
    events: list[_Event] = []
    para: list[str] = []
    fence = False

    def flush() -> None:
        if para:
            events.append(_Para(para.copy(), None))
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
            events.append(_Heading(level, _md_inline(atx.group(2) if atx else s)))
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


def _plain(pages: Sequence[tuple[int | None, str]]) -> list[_Event]:
    """Plain text (or PDF page text) -> paragraphs and detected headings."""
    seen = Counter(s for _, text in pages for s in (line.strip() for line in text.splitlines()) if len(s) >= 20)
    running = {s for s, n in seen.items() if n >= 8 or (n >= 3 and _heading_level(s) is None)}
    events: list[_Event] = []
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
                    events.append(_Para(para, para_page))
                    para = []
                continue
            level = _heading_level(s) if not para else None
            if level is not None:
                titled = level == 2 and not (_KEY2.match(s) or _ROMAN_TITLE.fullmatch(s))
                after_heading = bool(events) and isinstance(events[-1], _Heading)
                # a caps/title line opens a part ("THE MANUAL"), or subtitles the heading just before it
                events.append(_Heading(1 if titled and not after_heading else level, s, join=titled and after_heading))
                continue
            if not para:
                para_page = page
            para.append(s)
        if para:
            events.append(_Para(para, para_page))
            para = []
    return events


def _heading_level(s: str) -> int | None:
    if len(s) > 100 or _INLINE_REF.search(s):
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


# ---- events -> blocks ----------------------------------------------------------------------------------------


def _join_lines(lines: list[str]) -> str:
    out = lines[0]
    for line in lines[1:]:
        # "para-\ngraph": typesetting split a word; a real dash ("day--") or "self-\nControl" stays
        out = out[:-1] + line if out.endswith("-") and out[-2:-1].isalpha() and line[:1].islower() else f"{out} {line}"
    return out


def _run(events: list[_Event], i: int) -> list[_Heading]:
    run: list[_Heading] = []
    while i < len(events) and isinstance(events[i], _Heading):
        run.append(events[i])  # type: ignore[arg-type]
        i += 1
    return run


def _assemble(events: list[_Event]) -> tuple[list[Block], str | None]:
    path: dict[int, str] = {}
    last_level = 1
    first_heading: str | None = None
    rows: list[list] = []  # [text, page, heading, sealed_by_heading]
    for i, ev in enumerate(events):
        if isinstance(ev, _Heading):
            if i and isinstance(events[i - 1], _Heading):
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
        assert isinstance(ev, _Para)
        raw = _join_lines(ev.lines)
        refs = len(_INLINE_REF.findall(raw))
        text = _FOOTNOTE.sub("", _INLINE_REF.sub("", raw))
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
