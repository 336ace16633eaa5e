"""The widget's browser side over HTTP: the loader (`/widget.js`), its versioned assets, the chat page inside
the iframe (`/widget/frame`), the companion page (`/m/{public_key}`) with its manifest, icons and service
worker. The files themselves live in backend/widget/static/ (see assets.py)."""

from __future__ import annotations

import html
from typing import Annotated, Any

from litestar import Controller, Request, Response, get
from litestar.datastructures import ResponseHeader
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath, QueryParameter

from backend.lib.deps import Db, Plat
from backend.lib.edge import EXCLUDE_FROM_AUTH
from backend.lib.errors import NotFound
from backend.lib.openapi import errors
from backend.lib.platform import Platform
from backend.widget.assets import Asset, Bundle, bundle, icon_png, json_for_html
from backend.widget.shell import PageSettings, page_settings

PUBLIC = {EXCLUDE_FROM_AUTH: True}
LOADER_CACHE = "public, max-age=300, stale-while-revalidate=86400"
IMMUTABLE = "public, max-age=31536000, immutable"
ICON_SIZES = (192, 512)
KEY = Annotated[str, QueryParameter(min_length=1, max_length=64, description="the workspace's public widget key")]
NOT_MODIFIED = {304: ResponseSpec(data_container=None, description="The browser's copy (If-None-Match) is current")}
UNKNOWN_KEY = "No widget has this public key"


def _bundle(request: Request[Any, Any, Any]) -> Bundle:
    """The files; re-read when they change while developing (dev and test), read once in production."""
    platform: Platform = request.app.state.platform
    return bundle(watch=platform.settings.env in ("dev", "test"))


def _ip(request: Request[Any, Any, Any]) -> str:
    return request.client.host if request.client else "unknown"


def _file(request: Request[Any, Any, Any], asset: Asset, cache: str, **extra: str) -> Response[bytes]:
    """A static file with its ETag; 304 when the browser already has it; gzip when it accepts gzip."""
    headers = {"cache-control": cache, "etag": asset.etag, "vary": "accept-encoding", **extra}
    if asset.etag in request.headers.get("if-none-match", ""):
        return Response(b"", status_code=304, headers=headers)
    body, gzipped = asset.encoded(request.headers.get("accept-encoding", ""))
    if gzipped:
        headers["content-encoding"] = "gzip"
    return Response(body, media_type=asset.media_type, headers=headers)


def _csp(request: Request[Any, Any, Any], ancestors: str) -> str:
    host = request.headers.get("host", "")
    socket = f"{'wss' if request.url.scheme == 'https' else 'ws'}://{host}"
    return (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' https: data:; "
        f"connect-src 'self' {socket}; manifest-src 'self'; worker-src 'self'; base-uri 'none'; "
        f"form-action 'none'; {ancestors}"
    )


def _initials(name: str) -> str:
    return "".join([word[0] for word in name.split() if word[0].isalnum()][:2]).upper() or "?"


ASIDE = """<aside class="progress" id="progress" aria-labelledby="progress-title">
      <details id="progress-box" open>
        <summary>
          <h2 id="progress-title">Your progress</h2><span id="progress-summary" class="summary-line"></span>
        </summary>
        <div id="progress-body"><p>Say hello to start. Your program, streak and goals show here.</p></div>
        <div id="reminders" hidden></div>
        <div id="page-tools" class="page-tools" hidden></div>
      </details>
    </aside>"""


def _page(b: Bundle, s: PageSettings, layout: str) -> str:
    theme = s.theme
    e = html.escape
    head = ""
    if layout == "page":
        head = (
            f'<link rel="manifest" href="/m/{e(s.key)}/manifest.webmanifest">\n'
            f'<link rel="icon" href="/m/{e(s.key)}/icon/192" type="image/png">\n'
            f'<link rel="apple-touch-icon" href="/m/{e(s.key)}/icon/192">\n'
            f'<link rel="modulepreload" href="/widget/assets/{b.version}/companion.js">'
            f'<link rel="modulepreload" href="/widget/assets/{b.version}/reminders.js">'
        )
    avatar = f'<img src="{e(theme.avatar_url)}" alt="">' if theme.avatar_url else e(_initials(s.twin_name))
    config = {
        "key": s.key,
        "layout": layout,
        "name": s.twin_name,
        "color": theme.color,
        "position": theme.position,
        "starter_prompts": s.starter_prompts,
        "require_identity": s.require_identity,
    }
    values = {
        "layout": layout,
        "theme": e(theme.color_scheme),
        "color": e(theme.color),
        "title": e(s.twin_name),
        "assets": f"/widget/assets/{b.version}",
        "head": head,
        "config": json_for_html(config),
        "avatar": avatar,
        "name": e(s.twin_name),
        "disclosure": e(s.ai_disclosure),
        "welcome": e(s.welcome_message),
        "close_hidden": "hidden" if layout == "page" else "",
        "aside": ASIDE if layout == "page" else "",
    }
    page = b.templates["chat.html"]
    for name, value in values.items():
        page = page.replace("{{" + name + "}}", value)
    return page


def _html(request: Request[Any, Any, Any], body: str, ancestors: str) -> Response[bytes]:
    return Response(
        body.encode(),
        media_type="text/html",
        headers={
            "content-security-policy": _csp(request, ancestors),
            "cache-control": "no-cache",
            "referrer-policy": "no-referrer",
            "x-content-type-options": "nosniff",
        },
    )


class WidgetPages(Controller):
    tags = ["widget"]
    opt = PUBLIC
    security: Any = []

    @get(
        "/widget.js",
        media_type="text/javascript",
        summary="The widget loader",
        response_headers=[ResponseHeader(name="etag", description="the loader's version", documentation_only=True)],
        responses=NOT_MODIFIED,
    )
    async def loader(self, request: Request[Any, Any, Any]) -> Response[bytes]:
        """The script a creator's site includes: `<script src="{API}/widget.js" data-key="{public_key}" async>`.
        200 JavaScript (cached 5 minutes, then revalidated); 304 when the `If-None-Match` ETag is current."""
        loader = _bundle(request).asset("loader.js")
        assert loader is not None
        return _file(request, loader, LOADER_CACHE, **{"cross-origin-resource-policy": "cross-origin"})

    @get(
        "/widget/assets/{version:str}/{name:str}",
        summary="A file of the chat UI (script or style)",
        responses={**NOT_MODIFIED, **errors(404, s404="Not one of the chat UI's files")},
    )
    async def asset(
        self, request: Request[Any, Any, Any], version: FromPath[str], name: FromPath[str]
    ) -> Response[bytes]:
        """The chat UI's scripts and styles. 200 (immutable when `version` is current, else revalidated);
        304 for a current ETag; 404 for a file that is not one of them."""
        b = _bundle(request)
        found = b.asset(name)
        if found is None or name == "loader.js":
            raise NotFound(f"No widget asset {name[:80]!r}")
        return _file(request, found, IMMUTABLE if version == b.version else "no-cache")

    @get(
        "/widget/frame",
        media_type="text/html",
        summary="The chat inside the widget's iframe",
        responses=errors(404, 429, s404=UNKNOWN_KEY),
    )
    async def frame(self, request: Request[Any, Any, Any], db: Db, platform: Plat, key: KEY) -> Response[bytes]:
        """The chat page the loader opens in its iframe. 200 HTML with `Content-Security-Policy: frame-ancestors`
        listing the workspace's allowed origins; 404 for an unknown key; 429 past the rate limits."""
        s = await page_settings(platform, db, key, _ip(request))
        return _html(request, _page(_bundle(request), s, "frame"), s.frame_ancestors)

    @get(
        "/m/sw.js", media_type="text/javascript", summary="The companion page's service worker", responses=NOT_MODIFIED
    )
    async def service_worker(self, request: Request[Any, Any, Any]) -> Response[bytes]:
        """200 JavaScript (scope `/m/`): caches the companion page's shell, never member data."""
        worker = _bundle(request).asset("sw.js")
        assert worker is not None
        return _file(request, worker, "no-cache")

    @get(
        "/m/{public_key:str}",
        media_type="text/html",
        summary="The member's companion page",
        responses=errors(404, 429, s404=UNKNOWN_KEY),
    )
    async def companion(
        self, request: Request[Any, Any, Any], db: Db, platform: Plat, public_key: FromPath[str]
    ) -> Response[bytes]:
        """The chat full-page for phones, installable, with the member's program step, streak and goals.
        200 HTML; 404 for an unknown key; 429 past the rate limits."""
        s = await page_settings(platform, db, public_key, _ip(request))
        return _html(request, _page(_bundle(request), s, "page"), "frame-ancestors 'none'")

    @get(
        "/m/{public_key:str}/manifest.webmanifest",
        media_type="application/manifest+json",
        summary="The companion page's web app manifest",
        responses=errors(404, 429, s404=UNKNOWN_KEY),
    )
    async def manifest(
        self, request: Request[Any, Any, Any], db: Db, platform: Plat, public_key: FromPath[str]
    ) -> Response[dict[str, Any]]:
        """200 `application/manifest+json`; 404 for an unknown key; 429 past the rate limits."""
        s = await page_settings(platform, db, public_key, _ip(request))
        start = f"/m/{public_key}"
        icons = [
            {"src": f"{start}/icon/{n}", "sizes": f"{n}x{n}", "type": "image/png", "purpose": "any maskable"}
            for n in ICON_SIZES
        ]
        body = {
            "name": s.twin_name,
            "short_name": s.twin_name[:12],
            "description": f"Chat with the AI twin of {s.twin_name}",
            "id": start,
            "start_url": start,
            "scope": start,
            "display": "standalone",
            "background_color": "#ffffff",
            "theme_color": s.theme.color,
            "icons": icons,
        }
        return Response(body, media_type="application/manifest+json", headers={"cache-control": "no-cache"})

    @get(
        "/m/{public_key:str}/icon/{size:int}",
        media_type="image/png",
        summary="The companion page's app icon",
        responses=errors(404, 429, s404="An unknown key, or a size other than 192 and 512"),
    )
    async def icon(
        self, request: Request[Any, Any, Any], db: Db, platform: Plat, public_key: FromPath[str], size: FromPath[int]
    ) -> Response[bytes]:
        """200 PNG in the creator's colour; 404 for an unknown key or a size other than 192 and 512."""
        if size not in ICON_SIZES:
            raise NotFound("Icons come in 192 and 512 pixels")
        s = await page_settings(platform, db, public_key, _ip(request))
        return Response(
            icon_png(s.theme.color, size), media_type="image/png", headers={"cache-control": "public, max-age=86400"}
        )
