"""The widget's public endpoints: no staff account, only the workspace's public key (and a browser's Origin)."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.params import JSONBody, QueryParameter

from backend.auth.controllers import client_ip
from backend.lib.deps import Db, Plat
from backend.lib.edge import EXCLUDE_FROM_AUTH
from backend.lib.openapi import errors
from backend.widget import service
from backend.widget.schemas import SessionIn, SessionOut, WidgetConfigOut

PUBLIC = {EXCLUDE_FROM_AUTH: True}


class WidgetController(Controller):
    path = "/api/v1/widget"
    tags = ["widget"]

    @post(
        "/sessions",
        opt=PUBLIC,
        status_code=201,
        security=[],
        responses=errors(
            401,
            403,
            404,
            429,
            s401="`identity_invalid`: identity_hash is not the HMAC of external_id with the workspace's secret",
            s403="`origin_not_allowed`: the page's Origin is not allowed; `identity_required`: sign in first",
            s404="No workspace has this key",
        ),
    )
    async def session(
        self, request: Request[Any, Any, Any], data: JSONBody[SessionIn], db: Db, platform: Plat
    ) -> SessionOut:
        """A member token for a visitor of the creator's site (anonymous, or identified by the site's signed id).

        403 `origin_not_allowed`: the page's Origin is not among the workspace's allowed origins (when it lists
        any); 401 `identity_invalid`: `identity_hash` is not the HMAC-SHA256 of `external_id` with the
        workspace's identity secret; 403 `identity_required`: the workspace requires identity and none was
        given; 404: unknown key; 429: too many sessions from this address or for this key."""
        return await service.open_session(platform, db, data, request.headers.get("origin"), client_ip(request))

    @get(
        "/config",
        opt=PUBLIC,
        security=[],
        responses=errors(403, 404, 429, s403="`origin_not_allowed`", s404="No workspace has this key"),
    )
    async def config(
        self,
        request: Request[Any, Any, Any],
        db: Db,
        platform: Plat,
        key: Annotated[str, QueryParameter(min_length=1, max_length=64, description="the public widget key")],
    ) -> WidgetConfigOut:
        """The twin's name, theme, welcome message and starter prompts, before any session (nothing stored)."""
        return await service.config(platform, db, key, request.headers.get("origin"), client_ip(request))
