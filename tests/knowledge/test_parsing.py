"""Parsing: every format, hostile inputs, and the real corpora (warts included)."""

from __future__ import annotations

import io
import os
import re
import zipfile

import docx
import pypdf
import pytest

from backend.knowledge.parsing import DocumentError, ParsedDocument, detect_kind, parse_document
from tests.corpora import CORPORA

HEADER = "The Discourses of Epictetus, tr. by P.E Matheson, [1916], at sacred-texts.com"


def make_pdf(pages: list[list[str]], title: str | None = None) -> bytes:
    """A minimal valid PDF, one text line per string, with a correct xref table."""
    objs: list[bytes] = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    kids = []
    for lines in pages:
        body = "".join(f"({line.replace('(', '').replace(')', '')}) Tj T* " for line in lines)
        stream = f"BT /F1 11 Tf 14 TL 72 740 Td {body}ET".encode()
        objs.append(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
        objs.append(b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> "
                    b"/Contents %d 0 R >>" % len(objs))  # fmt: skip
        kids.append(len(objs))
    objs[1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (b" ".join(b"%d 0 R" % k for k in kids), len(kids))
    info = b""
    if title:
        objs.append(b"<< /Title (%s) >>" % title.encode())
        info = b" /Info %d 0 R" % len(objs)
    out, offsets = io.BytesIO(), []
    out.write(b"%PDF-1.4\n")
    for i, obj in enumerate(objs, 1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n%s\nendobj\n" % (i, obj))
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1))
    out.write(b"".join(b"%010d 00000 n \n" % o for o in offsets))
    out.write(b"trailer\n<< /Size %d /Root 1 0 R%s >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, info, xref))
    return out.getvalue()


PDF = make_pdf(
    [["Anger is a short madness.", "Wait before you answer."], ["Time is the one thing", "we cannot buy back."]],
    title="Notes on Calm",
)


def make_docx() -> bytes:
    d = docx.Document()
    d.core_properties.title = "Coaching Handbook"
    d.add_heading("Morning Routine", level=1)
    d.add_paragraph("Wake early and plan the day before the noise begins.")
    d.add_heading("Handling Criticism", level=2)
    d.add_paragraph("Ask whether the criticism is true; if it is, fix it.")
    table = d.add_table(rows=1, cols=2)
    table.rows[0].cells[0].text, table.rows[0].cells[1].text = "Habit", "Journal nightly"
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


def reason_of(data: bytes, filename: str | None = None, **kw: int) -> str:
    with pytest.raises(DocumentError) as err:
        parse_document(data, filename, **kw)
    reason = err.value.reason
    assert "Traceback" not in reason and len(reason) < 200
    return reason


def test_txt_headings_wrapping_pages_and_running_headers() -> None:
    header = "My Coaching Notes, draft edition, all rights reserved"
    text = (
        f"{header}\n\nCHAPTER I\n\nON PATIENCE\n\n"
        "When people annoy you,\nremember they act from\ntheir own beliefs.\n\n"
        f"[p. 12]\n\n{header}\n\nSecond para-\ngraph here.\n\nLETTER XII\n\nBe brief.\n\n<page 13>\n\n{header}\n\n"
        "Stay calm.\n"
    )
    doc = parse_document(text.encode(), "notes.txt")
    assert doc.kind == "txt"
    texts = [b.text for b in doc.blocks]
    assert texts == [
        "When people annoy you, remember they act from their own beliefs.",
        "Second paragraph here.",
        "Be brief.",
        "Stay calm.",
    ]
    assert [b.heading for b in doc.blocks] == ["CHAPTER I — ON PATIENCE"] * 2 + ["LETTER XII"] * 2
    assert [b.page for b in doc.blocks] == [None, 12, 12, 13]
    normalised = "\n\n".join(texts)
    assert all(normalised[b.offset : b.offset + len(b.text)] == b.text for b in doc.blocks)


def test_paragraph_cut_by_page_break_is_rejoined() -> None:
    doc = parse_document(b"BOOK TWO\n\nIf your brother wrongs you, do not take it by that\n\n[p. 481]\n\nhandle.\n")
    assert [(b.text, b.page, b.heading) for b in doc.blocks] == [
        ("If your brother wrongs you, do not take it by that handle.", None, "BOOK TWO")
    ]


def test_mixed_encodings_decode() -> None:
    data = "A café in UTF-8.\n\n".encode() + "A naïve line in cp1252 \u2014 a dash.\n".encode("cp1252")
    doc = parse_document(data, "mixed.txt")
    assert [b.text for b in doc.blocks] == ["A café in UTF-8.", "A naïve line in cp1252 \u2014 a dash."]
    assert parse_document(b"\xef\xbb\xbfBOM text here").blocks[0].text == "BOM text here"


def test_markdown() -> None:
    md = (
        "---\ntitle: x\n---\n# Guide\n\nRead **this** and [that](https://example.com).\n\n"
        "## Steps\n\n- first *step*\n- second `step`\n\n```\ncode line\n```\n"
    )
    doc = parse_document(md.encode(), "guide.md")
    assert doc.kind == "md" and doc.title == "Guide"
    assert [(b.text, b.heading) for b in doc.blocks] == [
        ("Read this and that.", "Guide"),
        ("first step", "Guide — Steps"),
        ("second step", "Guide — Steps"),
        ("code line", "Guide — Steps"),
    ]
    assert detect_kind(md.encode()) == "md"  # sniffed without a name
    assert detect_kind(md.encode(), "guide.txt") == "txt"  # the name breaks the tie
    assert detect_kind(b"plain words only") == "txt"


def test_docx() -> None:
    data = make_docx()
    assert detect_kind(data, "whatever.bin") == "docx"
    doc = parse_document(data, "handbook.docx")
    assert doc.kind == "docx" and doc.title == "Coaching Handbook"
    assert [(b.text, b.heading) for b in doc.blocks] == [
        ("Wake early and plan the day before the noise begins.", "Morning Routine"),
        ("Ask whether the criticism is true; if it is, fix it.", "Morning Routine — Handling Criticism"),
        ("Habit | Journal nightly", "Morning Routine — Handling Criticism"),
    ]


def test_pdf_pages_and_title() -> None:
    assert detect_kind(PDF, "notes.txt") == "pdf"
    doc = parse_document(PDF, "calm.pdf")
    assert doc.kind == "pdf" and doc.title == "Notes on Calm"
    pages = {b.page for b in doc.blocks}
    assert pages == {1, 2}
    joined = " ".join(b.text for b in doc.blocks)
    assert "Anger is a short madness." in joined and "Time is the one thing we cannot buy back." in joined


def test_encrypted_pdf() -> None:
    writer = pypdf.PdfWriter(clone_from=pypdf.PdfReader(io.BytesIO(PDF)))
    writer.encrypt("s3cret", algorithm="RC4-128")
    buf = io.BytesIO()
    writer.write(buf)
    assert "password-protected" in reason_of(buf.getvalue(), "locked.pdf")


@pytest.mark.parametrize(
    "data",
    [
        PDF[: len(PDF) // 2],  # truncated mid-file
        b"%PDF-1.4\n" + os.urandom(3000),
        b"%PDF-1.7\n1 0 obj << /Type /Catalog /Pages 9 0 R >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF",
    ],
    ids=["truncated", "junk", "dangling-pages"],
)
def test_damaged_pdf_gives_a_reason(data: bytes) -> None:
    reason = reason_of(data, "broken.pdf")
    assert "PDF" in reason or "no readable text" in reason


def test_broken_xref_is_recovered_when_objects_are_intact() -> None:
    broken = re.sub(rb"startxref\n\d+", b"startxref\n999999", re.sub(rb"\d{10} 00000 n", b"0000000007 00000 n", PDF))
    assert broken != PDF
    doc = parse_document(broken, "broken.pdf")
    assert "Anger is a short madness." in doc.blocks[0].text


def _zip(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, content in members.items():
            zf.writestr(name, content)
    return buf.getvalue()


def test_docx_zip_bomb_rejected_before_extraction() -> None:
    bomb = _zip({"word/document.xml": b"<w:document/>", "word/media/huge.bin": b"\0" * (60 * 1024 * 1024)})
    assert len(bomb) < 200_000
    assert "abnormally" in reason_of(bomb, "bomb.docx")
    many = _zip({"word/document.xml": b"<w:document/>"} | {f"word/x{i}.xml": b"x" for i in range(2500)})
    assert "abnormally" in reason_of(many, "many.docx")


def test_hostile_and_unsupported_inputs() -> None:
    png = b"\x89PNG\r\n\x1a\n" + os.urandom(500)
    assert "image" in reason_of(png, "photo.txt")
    assert "binary" in reason_of(bytes(range(256)) * 40, "junk.txt")
    assert "binary" in reason_of(b"ab\0\0\0\x01\x02\x03" * 500, "nul.txt")
    assert "empty" in reason_of(b"", "empty.txt")
    assert "empty" in reason_of(b" \n\t\r\n  ", "blank.txt")
    assert "no readable text" in reason_of(b"* * *\n\n---\n\n[p. 3]\n", "marks.txt")
    assert "ZIP" in reason_of(_zip({"a.txt": b"hello"}), "a.docx")
    assert "damaged" in reason_of(b"PK\x03\x04" + b"\0" * 40, "cut.docx")
    assert "limit" in reason_of(b"x" * 2000, "big.txt", max_bytes=1000)
    with pytest.raises(DocumentError):
        detect_kind(png)


@pytest.fixture(scope="module")
def corpora() -> dict[str, ParsedDocument]:
    return {p.stem: parse_document(p.read_bytes(), p.name) for p in sorted(CORPORA.glob("*.txt"))}


def test_corpora_parse_clean(corpora: dict[str, ParsedDocument]) -> None:
    assert set(corpora) == {"discourses", "meditations", "on_the_shortness_of_life", "moral_letters_to_Lucilius"}
    for name, doc in corpora.items():
        assert len(doc.blocks) > 50, name
        for b in doc.blocks:
            assert not re.search(r"<page \d+>|\[p\. \d+\]", b.text), (name, b.text[:80])
            assert HEADER not in b.text and "\n" not in b.text and "  " not in b.text
    meditations = corpora["meditations"]
    assert {b.heading for b in meditations.blocks} >= {"BOOK ONE", "BOOK TWELVE"}
    assert any(
        b.text.startswith("From my grandfather Verus I learned good morals and the government of my temper")
        for b in meditations.blocks
    )
    letters = corpora["moral_letters_to_Lucilius"]
    assert any(b.heading and b.heading.endswith("III. ON TRUE AND FALSE FRIENDSHIP") for b in letters.blocks)


def test_discourses_pages_headings_and_index(corpora: dict[str, ParsedDocument]) -> None:
    doc = corpora["discourses"]
    pages = [b.page for b in doc.blocks if b.page is not None]
    assert len(pages) > 0.95 * len(doc.blocks) and min(pages) == 223 and pages == sorted(pages)
    handles = next(b for b in doc.blocks if b.text.startswith("Everything has two handles"))
    assert handles.page == 480 and "do not take it by that handle, the handle of his wrong" in handles.text
    assert handles.heading == "THE MANUAL [ENCHIRIDION] OF EPICTETUS — 43"
    first = next(b for b in doc.blocks if b.text.startswith("OF OUR faculties"))
    assert (
        first.page == 224 and first.heading == "BOOK I — CHAPTER I — ON THINGS IN OUR POWER AND THINGS NOT IN OUR POWER"
    )
    assert not any(b.text.startswith(("Anger, two kinds of", "Adultery")) for b in doc.blocks)  # the index
