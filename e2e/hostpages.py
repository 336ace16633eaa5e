"""Pages on another origin: a small threaded HTTP server on loopback that serves the HTML a test puts in it
(a creator's site embedding the widget) and, for the browser-side unit tests, the widget's static files."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from e2e.servers import ROOT

STATIC = ROOT / "backend" / "widget" / "static"
TYPES = {".js": "text/javascript", ".css": "text/css", ".html": "text/html; charset=utf-8"}


class HostSite:
    """`put(path, html)` then open `url(path)`; `/static/<file>` serves backend/widget/static/<file>."""

    def __init__(self, server: ThreadingHTTPServer, host: str) -> None:
        self.server = server
        self.host = host
        self.pages: dict[str, str] = {}

    @property
    def origin(self) -> str:
        return f"http://{self.host}:{self.server.server_address[1]}"

    def url(self, path: str) -> str:
        return self.origin + path

    def put(self, path: str, html: str) -> str:
        self.pages[path] = html
        return self.url(path)


def _handler(site_ref: list[HostSite]) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            site = site_ref[0]
            path = self.path.split("?", 1)[0]
            body: bytes | None = None
            kind = "text/html; charset=utf-8"
            if path in site.pages:
                body = site.pages[path].encode()
            elif path.startswith("/static/"):
                file = STATIC / path.removeprefix("/static/")
                if file.resolve().parent == STATIC and file.is_file():
                    body, kind = file.read_bytes(), TYPES.get(Path(file).suffix, "application/octet-stream")
            if body is None:
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("content-type", kind)
            self.send_header("content-length", str(len(body)))
            self.send_header("cache-control", "no-store")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    return Handler


@contextlib.contextmanager
def host_site(host: str = "127.0.0.1") -> Iterator[HostSite]:
    """A site on its own loopback port (so its own origin); `host` may be "localhost" for yet another origin."""
    ref: list[HostSite] = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(ref))
    ref.append(HostSite(server, host))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield ref[0]
    finally:
        server.shutdown()
        server.server_close()
