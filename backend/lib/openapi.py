"""The OpenAPI documents every status a route answers, every error with the one body `{error, detail}`.

For a new route, declare the statuses its own logic answers, and only those:

    @post("/things/{thing_id:uuid}/archive", responses=errors(409), ...)

`ErrorResponses` (a plugin the app installs) adds what follows from the route's shape, so routes never
repeat it: 400 and 503 on every API route (a malformed address; PostgreSQL or Redis unreachable, with
Retry-After); 401 when it needs a bearer token; 403 when it has guards; 422 (and 400) when it reads a body
or parameters (malformed JSON, a field or parameter that fails validation); 413 when it reads a body; 404
when its path names something (an id that does not exist, or is another workspace's). Every one of them,
declared or derived, is documented with `ErrorBody`, replacing Litestar's own error schema
(`status_code`/`extra`), which the API never sends. The tests fail when a route answers a status it
does not document (`tests/lib/test_bad_input_sweep.py`, `tests/lib/test_schemathesis.py`).
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

import msgspec
from litestar._openapi.schema_generation.plugins import StructSchemaPlugin  # extended below; no public base
from litestar.handlers import HTTPRouteHandler
from litestar.openapi.datastructures import ResponseSpec
from litestar.plugins import ReceiveRoutePlugin
from litestar.routes import BaseRoute, HTTPRoute
from litestar.typing import FieldDefinition

from backend.lib.edge import EXCLUDE_FROM_AUTH


class ErrorBody(msgspec.Struct, kw_only=True):
    """Every error the API answers. Some errors add fields (e.g. `retry_after` on 429, `issues` on 422)."""

    error: str  # a stable code: "invalid_input", "not_found", "rate_limited", ...
    detail: str  # a sentence for people


# Why a status is answered, as a client reads it; a route may pass its own sentence to `errors()`.
DESCRIPTIONS: dict[int, str] = {
    400: "The request is malformed: a body that is not JSON, nested too deeply, a NUL character, a bad parameter",
    401: "No valid bearer token (missing, expired, revoked or unknown)",
    403: "The caller's role does not allow this",
    404: "Not found (or not in the caller's workspace)",
    409: "Conflicts with the current state",
    413: "The body is larger than the limit",
    415: "The uploaded file is not a supported document",
    422: "A value is invalid or out of range; `detail` names it",
    429: "Too many requests; `Retry-After` says when to try again",
    503: "A backing service (PostgreSQL, Redis) is unavailable; `Retry-After` says when to try again",
}


def errors(*statuses: int, **described: str) -> dict[int, ResponseSpec]:
    """Responses for `statuses`, each with the error body. `described` overrides a sentence: `s409="..."`."""
    out: dict[int, ResponseSpec] = {}
    for status in statuses:
        text = described.get(f"s{status}") or DESCRIPTIONS.get(status) or HTTPStatus(status).phrase
        out[status] = ResponseSpec(data_container=ErrorBody, description=text, generate_examples=False)
    return out


def derived_statuses(handler: HTTPRouteHandler, path_parameters: int, public: bool) -> set[int]:
    """The error statuses a route answers because of its shape (see the module's docstring)."""
    statuses = {400, 503} if not public else set()  # 400: any address may be malformed (a NUL in the query)
    if not public and not handler.opt.get(EXCLUDE_FROM_AUTH):
        statuses.add(401)
    if handler.resolve_guards():
        statuses.add(403)
    fields = handler.parsed_fn_signature.parameters
    dependencies = handler.resolve_dependencies()
    reserved = {"request", "state", "scope", "headers", "cookies", "query", "socket", "body", "self"}
    if "data" in fields:
        statuses |= {400, 413, 422}
    if path_parameters or any(n not in dependencies and n not in reserved and n != "data" for n in fields):
        statuses |= {400, 422}
    if path_parameters:
        statuses.add(404)
    return statuses


class ErrorResponses(ReceiveRoutePlugin):
    """Documents each route's error statuses as it is registered (before the schema is first built)."""

    def __init__(self, public_prefixes: tuple[str, ...] = ("/health", "/metrics", "/schema")) -> None:
        self.public_prefixes = public_prefixes

    def receive_route(self, route: BaseRoute) -> None:
        if not isinstance(route, HTTPRoute):
            return
        _fresh_allow(route)
        public = route.path.startswith(self.public_prefixes)
        for handler in route.route_handlers:
            if public and not handler.responses:
                continue  # health, metrics, the schema itself: not part of the API's contract
            if not public and not handler.opt.get(EXCLUDE_FROM_AUTH):
                handler.security = [{"bearer": []}]  # public routes name no security: tools call them bare
            declared: dict[int, Any] = dict(handler.responses or {})
            for status in derived_statuses(handler, len(route.path_parameters), public):
                declared.setdefault(status, errors(status)[status])
            handler.responses = declared


def _fresh_allow(route: HTTPRoute) -> None:
    """Litestar's automatic OPTIONS answer lists the methods of the route it was made for; when a later
    handler joins the same path, the merged route keeps that answer, whose `Allow` then misses methods
    (`GET, OPTIONS` on a path that also takes POST). Point it at the merged route."""
    for handler in route.route_handlers:
        fn = getattr(handler, "fn", None)
        if handler.http_methods == {"OPTIONS"} and getattr(fn, "__name__", "") == "options_handler":
            for cell in getattr(fn, "__closure__", None) or ():
                if isinstance(cell.cell_contents, HTTPRoute):
                    cell.cell_contents = route


class StrictStructs(StructSchemaPlugin):
    """Struct schemas that say what the decoder enforces. Bodies that refuse unknown fields
    (`forbid_unknown_fields=True`) state `additionalProperties: false`, and the items of list fields keep
    their own bounds (`list[Annotated[str, Meta(min_length=1)]]`: Litestar drops the inner Meta). Without
    both, a client that follows the schema had its request refused."""

    def to_openapi_schema(self, field_definition: FieldDefinition, schema_creator: Any) -> Any:
        schema = super().to_openapi_schema(field_definition, schema_creator)
        info = msgspec.inspect.type_info(field_definition.type_)
        if getattr(info, "forbid_unknown_fields", False):
            schema.additional_properties = False
        for field in getattr(info, "fields", ()):
            _item_bounds(getattr(schema, "properties", None) or {}, field)
        return schema


def _item_bounds(properties: dict[str, Any], field: Any) -> None:
    kinds = field.type.types if isinstance(field.type, msgspec.inspect.UnionType) else (field.type,)
    lists = [k for k in kinds if isinstance(k, msgspec.inspect.ListType)]
    prop = properties.get(field.encode_name)
    if not lists or prop is None or not isinstance(lists[0].item_type, msgspec.inspect.StrType):
        return
    item = lists[0].item_type
    for option in [prop, *(getattr(prop, "one_of", None) or [])]:
        items = getattr(option, "items", None)
        if items is not None and not isinstance(items, list):
            items.min_length, items.max_length, items.pattern = item.min_length, item.max_length, item.pattern
