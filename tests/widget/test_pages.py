"""The widget's browser files over HTTP: the loader's caching, the versioned assets, the chat pages' security
headers (frame-ancestors from the workspace's allowed origins), the companion page's manifest and icons."""

from __future__ import annotations

import gzip
import json
import re
from typing import Any

from litestar.testing import AsyncTestClient

from backend.widget.assets import bundle, icon_png, json_for_html
from tests.fixtures.widget import configure, web_channel

SITE = "https://coach.example.com"


async def test_loader_is_cacheable_versioned_and_compressed(client: AsyncTestClient[Any]) -> None:
    r = await client.get("/widget.js", headers={"accept-encoding": "gzip"})
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/javascript")
    assert "max-age=300" in r.headers["cache-control"]
    assert r.headers["content-encoding"] == "gzip" and r.headers["vary"] == "accept-encoding"
    assert r.headers["cross-origin-resource-policy"] == "cross-origin"
    body = r.content if r.content.startswith(b"/*") else gzip.decompress(r.content)
    version = bundle().version
    assert f'const VERSION = "{version}"'.encode() in body
    # The ETag answers a revalidation with 304 and no body.
    again = await client.get("/widget.js", headers={"if-none-match": r.headers["etag"]})
    assert again.status_code == 304 and again.content == b""
    plain = await client.get("/widget.js", headers={"accept-encoding": "identity"})
    assert "content-encoding" not in plain.headers and plain.content.startswith(b"/*")


async def test_assets_are_immutable_at_their_version_only(client: AsyncTestClient[Any]) -> None:
    version = bundle().version
    r = await client.get(f"/widget/assets/{version}/chat.js")
    assert r.status_code == 200 and "immutable" in r.headers["cache-control"]
    stale = await client.get("/widget/assets/0123456789ab/chat.js")
    assert stale.status_code == 200 and stale.headers["cache-control"] == "no-cache"
    for name in ("chat.html", "nope.js", "..%2Fpages.py", "loader.js"):
        r = await client.get(f"/widget/assets/{version}/{name}")
        assert r.status_code == 404, name
        assert set(r.json()) == {"error", "detail"}


async def test_frame_page_allows_only_the_workspaces_origins_to_embed_it(
    client: AsyncTestClient[Any], creator: dict[str, Any]
) -> None:
    key = (await configure(client, creator, allowed_origins=[SITE, "https://*.academy.io"]))["public_key"]
    r = await client.get("/widget/frame", params={"key": key, "origin": SITE})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    csp = r.headers["content-security-policy"]
    assert "frame-ancestors 'self' https://coach.example.com https://*.academy.io" in csp
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "default-src 'none'" in csp
    assert r.headers["x-content-type-options"] == "nosniff"
    # The page's own policy only (the API's strict one would block its scripts), and nothing that forbids framing.
    assert len(r.headers.get_list("content-security-policy")) == 1 and "x-frame-options" not in r.headers
    assert r.headers.get_list("x-content-type-options") == ["nosniff"]
    # No list: any site may embed it.
    key2 = (await configure(client, creator, allowed_origins=[]))["public_key"]
    r = await client.get("/widget/frame", params={"key": key2})
    assert "frame-ancestors *" in r.headers["content-security-policy"]


async def test_pages_show_names_as_text_and_config_cannot_break_out(
    client: AsyncTestClient[Any], creator: dict[str, Any]
) -> None:
    evil = '</script><script>alert(1)</script> & "quotes"'
    key = (await configure(client, creator, welcome_message=evil, starter_prompts=[evil]))["public_key"]
    r = await client.get("/widget/frame", params={"key": key})
    page = r.text
    assert "<script>alert(1)</script>" not in page
    assert "&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;quotes&quot;" in page  # the welcome
    config = re.search(r'<script type="application/json" id="ct-config">(.*?)</script>', page, re.S)
    assert config is not None
    assert json.loads(config.group(1))["starter_prompts"] == [evil]
    assert json_for_html({"a": "</script>&"}) == '{"a":"\\u003c/script\\u003e\\u0026"}'


async def test_companion_page_manifest_and_icons(client: AsyncTestClient[Any], creator: dict[str, Any]) -> None:
    key = (await configure(client, creator, theme={"color": "#aa3300"}))["public_key"]
    r = await client.get(f"/m/{key}")
    assert r.status_code == 200
    assert "frame-ancestors 'none'" in r.headers["content-security-policy"]
    assert f'href="/m/{key}/manifest.webmanifest"' in r.text
    m = await client.get(f"/m/{key}/manifest.webmanifest")
    assert m.status_code == 200 and m.headers["content-type"].startswith("application/manifest+json")
    manifest = m.json()
    assert manifest["start_url"] == f"/m/{key}" and manifest["display"] == "standalone"
    assert manifest["theme_color"] == "#aa3300"
    for icon in manifest["icons"]:
        got = await client.get(icon["src"])
        assert got.status_code == 200 and got.headers["content-type"] == "image/png"
        size = int(icon["sizes"].split("x")[0])
        assert got.content[:8] == b"\x89PNG\r\n\x1a\n" and int.from_bytes(got.content[16:20], "big") == size
    assert (await client.get(f"/m/{key}/icon/64")).status_code == 404
    sw = await client.get("/m/sw.js")
    assert sw.status_code == 200 and sw.headers["content-type"].startswith("text/javascript")
    worker = sw.content if sw.content.startswith(b"//") else gzip.decompress(sw.content)
    assert f'const VERSION = "{bundle().version}"'.encode() in worker  # it caches this version's files


async def test_unknown_keys_get_a_json_404(client: AsyncTestClient[Any]) -> None:
    for path in ("/widget/frame?key=pk_nobodyhasthiskey0000", "/m/pk_nobodyhasthiskey0000", "/m/nonsense"):
        r = await client.get(path)
        assert r.status_code == 404, path
        assert set(r.json()) == {"error", "detail"}
    r = await client.get("/widget/frame")
    assert r.status_code == 422 and set(r.json()) == {"error", "detail"}


async def test_pages_need_no_account_and_the_key_is_stable(
    client: AsyncTestClient[Any], creator: dict[str, Any]
) -> None:
    key = (await web_channel(client, creator))["public_key"]
    r = await client.get(f"/m/{key}", headers={"authorization": "Bearer not-a-token"})
    assert r.status_code == 200


def test_icon_is_a_valid_png_in_the_creators_colour() -> None:
    import zlib

    png = icon_png("#112233", 192)
    assert png[12:16] == b"IHDR"
    idat = png.index(b"IDAT")
    length = int.from_bytes(png[idat - 4 : idat], "big")
    raw = zlib.decompress(png[idat + 4 : idat + 4 + length])
    assert len(raw) == 192 * (192 * 4 + 1)
    assert raw[1:5] == bytes((0x11, 0x22, 0x33, 0xFF))  # the corner is the colour
