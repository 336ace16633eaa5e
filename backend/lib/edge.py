"""The one middleware every routed request passes: its request id, its metrics, and who is calling.

One pass over the raw headers and one wrapper around `send`, where three middlewares (request id, metrics,
Litestar's authentication base class) each wrapped `send`, and authentication built a connection and a
`Headers` object per request (~15 us of the authenticated read's ~65 us in-process, measured).

A failed authentication is answered here, through the wrapped `send`: the 401 carries the request id and
is counted with its status (raised further out, Litestar's outermost exception handler answered it, past
both). Routes opt out of authentication with `opt={"exclude_from_auth": True}` or a public path prefix;
preflight (OPTIONS) requests are never authenticated, as with Litestar's middleware. WebSocket routes
authenticate themselves after accepting (browsers cannot set headers on a socket; the token comes in the
query, and a refusal is a JSON frame and close code 4401), so they opt out here.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Sequence
from typing import Any, NamedTuple

import msgspec

from backend.lib.errors import DomainError, NotAuthenticated, domain_error_answer
from backend.lib.hotpath.readcache import PREFETCHED, READ_CACHE
from backend.lib.hotpath.responses import ReadyJSON
from backend.lib.logging import REQUEST_ID
from backend.lib.metrics import RouteMetrics
from backend.lib.platform import Platform
from backend.lib.principal import authenticate_prefetching
from common.settings import Settings

EXCLUDE_FROM_AUTH = "exclude_from_auth"
# PostgreSQL text cannot hold NUL: refused here, once, for every parameter of the address.
_NUL_IN_ADDRESS = DomainError("The address may not contain NUL characters (%00)")
_ENCODE = msgspec.json.Encoder().encode


class _Route(NamedTuple):
    measured: bool  # counted in the metrics (public paths are not)
    authed: bool  # needs a bearer token
    cache: Any  # the route's TenantReadCache, fetched in the revocation MGET (None: none, or the cache is off)


class Edge:
    """Litestar middleware (route level, so `route_handler` and `path_template` are known)."""

    def __init__(self, app: Any, *, settings: Settings, app_name: str, public_paths: Sequence[str]) -> None:
        self.app = app
        self.metrics = RouteMetrics(app_name)
        self._public = re.compile("|".join(public_paths)) if public_paths else None
        self._read_cache_on = settings.read_cache_ttl > 0
        self._routes: dict[tuple[int, str], _Route] = {}

    def _route(self, handler: Any, template: str) -> _Route:
        """What a route needs, worked out once per (handler, path template)."""
        key = (id(handler), template)
        found = self._routes.get(key)
        if found is None:
            public = self._public is not None and self._public.match(template) is not None
            opt = handler.opt
            cache = opt.get(READ_CACHE) if self._read_cache_on else None
            found = self._routes[key] = _Route(not public, not public and not opt.get(EXCLUDE_FROM_AUTH), cache)
        return found

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        kind = scope["type"]
        if kind != "http" and kind != "websocket":
            await self.app(scope, receive, send)
            return
        incoming = authorization = b""
        for name, value in scope["headers"]:
            if name == b"authorization":
                authorization = value
            elif name == b"x-request-id":
                incoming = value
        raw_id = incoming[:64] or os.urandom(16).hex().encode()
        request_id, header = raw_id.decode("latin-1"), (b"x-request-id", raw_id)
        template = scope.get("path_template") or scope["path"]
        measured, authed, cache = self._route(scope["route_handler"], template)
        method = scope["method"] if kind == "http" else "websocket"
        status = 200

        async def send_with_id(message: Any) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", ()), header]
            await send(message)

        reset = REQUEST_ID.set(request_id)
        started = time.perf_counter()
        running = self.metrics.started(method, template) if measured else None
        try:
            if kind == "http" and (b"%00" in scope["query_string"] or "\x00" in scope["path"]):
                status = 400
                await _error_response(_NUL_IN_ADDRESS)(scope, receive, send_with_id)
                return
            if authed and method != "OPTIONS":
                try:
                    await self._authenticate(scope, authorization, cache)
                except DomainError as exc:
                    status = exc.status
                    if kind == "http":
                        await _error_response(exc)(scope, receive, send_with_id)
                        return
                    raise
            await self.app(scope, receive, send_with_id)
        except Exception as exc:
            # Raised past us (a guard's 403, a handler's error): Litestar's outermost exception handler
            # answers it with the error's status; count that, not a 200.
            status = int(getattr(exc, "status_code", 0) or getattr(exc, "status", 0) or 500)
            raise
        finally:
            REQUEST_ID.reset(reset)
            if running is not None:
                self.metrics.finished(running, status, time.perf_counter() - started)

    async def _authenticate(self, scope: Any, authorization: bytes, cache: Any) -> None:
        token = bearer_token(authorization)
        if not token:
            raise NotAuthenticated("Missing bearer token")
        platform: Platform = scope["litestar_app"].state.platform
        principal, prefetched = await authenticate_prefetching(platform, token, cache)
        scope["user"], scope["auth"] = principal, token
        if prefetched is not None:
            scope[PREFETCHED] = prefetched


def bearer_token(authorization: bytes) -> str:
    scheme, _, token = authorization.partition(b" ")
    if scheme.lower() == b"bearer" and token:
        return token.strip().decode("latin-1")
    return ""


def _error_response(exc: DomainError) -> ReadyJSON:
    status, body, headers = domain_error_answer(exc)
    encoded = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in (headers or {}).items()]
    return ReadyJSON(_ENCODE(body), status, encoded)
