"""The widget's browser files (backend/widget/static/), read once per process, versioned and pre-compressed.

The version is a hash of every file, so a deploy that changes any of them changes every asset URL
(`/widget/assets/<version>/<file>`, cached for a year as immutable) and the loader's ETag. The loader's own
URL, `/widget.js`, is the one creators paste and never changes: it is cached for five minutes and then
revalidated with its ETag (a 304 without a body), so a new version reaches every site within minutes.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import math
import zlib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

STATIC = Path(__file__).resolve().parent / "static"
TYPES = {".js": "text/javascript", ".css": "text/css", ".html": "text/html", ".svg": "image/svg+xml"}  # text/*: utf-8
TEMPLATES = frozenset({"chat.html"})  # filled in by pages.py, never served as they are
VERSION_MARK = b"__VERSION__"


@dataclass(frozen=True, slots=True)
class Asset:
    name: str
    body: bytes
    gzipped: bytes
    etag: str
    media_type: str

    def encoded(self, accept_encoding: str) -> tuple[bytes, bool]:
        """The body to send and whether it is gzip, by the client's Accept-Encoding."""
        if "gzip" in accept_encoding.lower() and len(self.gzipped) < len(self.body):
            return self.gzipped, True
        return self.body, False


@dataclass(frozen=True, slots=True)
class Bundle:
    version: str
    files: dict[str, Asset]
    templates: dict[str, str]

    def asset(self, name: str) -> Asset | None:
        return self.files.get(name)


def _asset(name: str, body: bytes) -> Asset:
    digest = hashlib.sha256(body).hexdigest()[:20]
    # mtime=0: the same bytes on every instance, so ETags and caches agree across workers.
    packed = gzip.compress(body, compresslevel=9, mtime=0)
    return Asset(name, body, packed, f'"{digest}"', TYPES.get(Path(name).suffix, "application/octet-stream"))


_loaded: tuple[tuple[tuple[str, int], ...], Bundle] | None = None


def bundle(watch: bool = False) -> Bundle:
    """The files as served. Read once; with `watch` (dev and test), read again when one of them changed."""
    global _loaded
    if _loaded is not None and not watch:
        return _loaded[1]
    signature = tuple((p.name, p.stat().st_mtime_ns) for p in sorted(STATIC.iterdir()) if p.is_file())
    if _loaded is None or _loaded[0] != signature:
        _loaded = (signature, _read())
    return _loaded[1]


def _read() -> Bundle:
    raw = {p.name: p.read_bytes() for p in sorted(STATIC.iterdir()) if p.is_file()}
    version = hashlib.sha256(b"".join(name.encode() + body for name, body in raw.items())).hexdigest()[:12]
    files = {
        name: _asset(name, body.replace(VERSION_MARK, version.encode()))
        for name, body in raw.items()
        if name not in TEMPLATES
    }
    templates = {name: raw[name].decode() for name in TEMPLATES}
    return Bundle(version, files, templates)


def json_for_html(value: object) -> str:
    """JSON to place inside a <script type="application/json"> element: no `<`, `>` or `&` that could end it."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _chunk(kind: bytes, data: bytes) -> bytes:
    return len(data).to_bytes(4, "big") + kind + data + zlib.crc32(kind + data).to_bytes(4, "big")


@cache
def icon_png(color: str, size: int) -> bytes:
    """The companion page's app icon: a speech bubble in the creator's colour (a PNG, as installability needs).

    Drawn here row by row (spans, not pixels), so no image library is needed: a square of the colour with a
    white bubble (a circle and its tail). Cached per colour and size.
    """
    r, g, b = (int(color[i : i + 2], 16) for i in (1, 3, 5))
    bg, fg = bytes((r, g, b, 255)), b"\xff\xff\xff\xff"
    cx, cy, rad = size * 0.5, size * 0.46, size * 0.27
    tail_x, tail_y, tail = cx - rad * 0.55, cy + rad * 0.6, rad * 0.55
    rows = []
    for y in range(size):
        spans: list[tuple[float, float]] = []
        dy = y + 0.5 - cy
        if abs(dy) <= rad:
            half = math.sqrt(rad * rad - dy * dy)
            spans.append((cx - half, cx + half))
        ty = y + 0.5 - tail_y
        if 0 <= ty <= tail:
            spans.append((tail_x, tail_x + tail - ty * 0.9))
        row = bytearray(bg * size)
        for lo, hi in spans:
            a, z = max(0, round(lo)), min(size, round(hi))
            if z > a:
                row[a * 4 : z * 4] = fg * (z - a)
        rows.append(b"\x00" + bytes(row))  # filter byte: none
    header = size.to_bytes(4, "big") * 2 + bytes((8, 6, 0, 0, 0))  # 8-bit RGBA
    data = zlib.compress(b"".join(rows), 9)
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", data) + _chunk(b"IEND", b"")
