"""The OpenAPI names the one error body for every error status, and derives the statuses a route's shape implies."""

from __future__ import annotations

import json
import uuid
from typing import Any

from litestar import Litestar, post
from litestar.params import FromPath, JSONBody

from backend.lib.openapi import ErrorBody, ErrorResponses, errors
from backend.lib.principal import min_role
from common.enums import Role


def test_every_error_response_is_the_one_error_body(app: Any) -> None:
    schema = app.openapi_schema.to_schema()
    assert set(schema["components"]["schemas"]["ErrorBody"]["required"]) == {"error", "detail"}
    checked = 0
    for path, item in schema["paths"].items():
        for method, op in item.items():
            for status, response in op["responses"].items():
                if int(status) < 400 or path == "/health/ready":
                    continue
                refs = json.dumps(response.get("content") or {})
                assert "#/components/schemas/ErrorBody" in refs, (method, path, status, refs[:200])
                assert "status_code" not in refs  # Litestar's own error shape, which the API never sends
                checked += 1
    assert checked > 200, checked


def test_statuses_are_derived_from_the_route_shape() -> None:
    @post("/things/{thing_id:uuid}/archive", guards=[min_role(Role.editor)], responses=errors(409, s409="Archived"))
    async def archive(thing_id: FromPath[uuid.UUID], data: JSONBody[ErrorBody]) -> None:
        return None

    @post("/open", opt={"exclude_from_auth": True}, status_code=200)
    async def open_route() -> None:
        return None

    schema = Litestar([archive, open_route], plugins=[ErrorResponses()]).openapi_schema.to_schema()
    archived = schema["paths"]["/things/{thing_id}/archive"]["post"]["responses"]
    assert set(archived) == {"201", "400", "401", "403", "404", "409", "413", "422", "503"}
    assert archived["409"]["description"] == "Archived"
    assert set(schema["paths"]["/open"]["post"]["responses"]) == {"200", "400", "503"}
