"""Every route of the app, hostile inputs: each answer is a documented 4xx with `{error, detail}`, never a 5xx.

Routes come from `app.routes` (a new route is swept without touching this file); bodies, parameters and
documented statuses from the app's own OpenAPI.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
from litestar.routes import HTTPRoute
from litestar.testing import AsyncTestClient

from backend.lib.edge import EXCLUDE_FROM_AUTH
from tests.conftest import register_and_login

DEEP = b"[" * 10_000 + b"]" * 10_000
DEEP_OBJECT = b'{"a":' * 10_000 + b"1" + b"}" * 10_000
HUGE = "x" * 900_000
BIG_INTS = ["2147483648", "9223372036854775808", "-9223372036854775809", "1" + "0" * 40]
SKIP_PREFIXES = ("/schema", "/metrics", "/health")


def operations(app: Any) -> list[tuple[str, str, dict[str, Any]]]:
    """(method, path template, OpenAPI operation) for every HTTP route handler of the app; the operation
    carries `x-public` when the route needs no bearer token."""
    schema = app.openapi_schema.to_schema()
    found = []
    for route in app.routes:
        if not isinstance(route, HTTPRoute) or route.path.startswith(SKIP_PREFIXES):
            continue
        for method in sorted(route.route_handler_map):
            if method in ("HEAD", "OPTIONS"):
                continue
            op = dict(schema["paths"][route.path_format or "/"][method.lower()])
            op["x-public"] = bool(route.route_handler_map[method][0].opt.get(EXCLUDE_FROM_AUTH))
            found.append((method, route.path_format, op))
    assert len(found) >= 45, len(found)
    return found


def fill(template: str, **values: str) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: values.get(m.group(1), str(uuid.uuid4())), template)


def resolve(schema: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        node = schema["components"]["schemas"][node["$ref"].rsplit("/", 1)[-1]]
    return node


def body_properties(schema: dict[str, Any], op: dict[str, Any]) -> tuple[str | None, dict[str, Any]]:
    content = (op.get("requestBody") or {}).get("content") or {}
    for media, spec in content.items():
        node = resolve(schema, spec.get("schema") or {})
        if "oneOf" in node:
            node = resolve(schema, next(n for n in node["oneOf"] if n.get("type") != "null"))
        return media, node.get("properties") or {}
    return None, {}


def kinds(schema: dict[str, Any], prop: dict[str, Any]) -> set[str]:
    """The JSON types (and `date-time`) a property accepts."""
    prop = resolve(schema, prop)
    out = {prop.get("type")} if isinstance(prop.get("type"), str) else set(prop.get("type") or [])
    for alt in prop.get("oneOf") or prop.get("anyOf") or []:
        out |= kinds(schema, alt)
    if prop.get("format") == "date-time":
        out.add("date-time")
    return out


def assert_refusal(r: Any, op: dict[str, Any], what: str) -> None:
    label = f"{what}: {r.request.method} {r.request.url.path} -> {r.status_code} {r.text[:200]}"
    assert r.status_code < 500, label
    assert str(r.status_code) in op["responses"], f"undocumented status, {label}"
    if r.status_code >= 400:
        body = r.json()
        assert set(body) >= {"error", "detail"}, label
        assert isinstance(body["detail"], str) and body["detail"], label
        assert len(r.content) < 4000, f"the error echoes too much ({len(r.content)} bytes), {label}"


@pytest.fixture
async def owner(client: AsyncTestClient[Any]) -> dict[str, Any]:
    return await register_and_login(client, "sweep")


async def test_every_route_refuses_hostile_input_with_a_documented_4xx(
    client: AsyncTestClient[Any], owner: dict[str, Any]
) -> None:
    app = client.app
    schema = app.openapi_schema.to_schema()
    auth = owner["headers"]
    json_headers = {**auth, "Content-Type": "application/json"}
    sent = 0
    for method, template, op in operations(app):
        path = fill(template, version="1")
        media, props = body_properties(schema, op)
        requests: list[tuple[str, dict[str, Any]]] = []
        if media == "application/json":
            requests += [("deep array", {"content": DEEP}), ("deep object", {"content": DEEP_OBJECT})]
            for name, prop in props.items():
                types = kinds(schema, prop)
                if "string" in types:
                    requests.append((f"NUL in {name}", {"json": {name: "a\x00b"}}))
                    requests.append((f"900 KB {name}", {"json": {name: HUGE[: 900_000 // max(len(props), 1)]}}))
                if "integer" in types or "number" in types:
                    for big in BIG_INTS:
                        requests.append((f"{name}={big}", {"content": f'{{"{name}": {big}}}'.encode()}))
                if "date-time" in types:
                    for moment in ("9999-12-31T23:59:59Z", "10000-01-01T00:00:00Z", "0001-01-01T00:00:00Z"):
                        requests.append((f"{name}={moment}", {"json": {name: moment}}))
        params = [p for p in op.get("parameters") or [] if p["in"] in ("query", "path")]
        query_names = [p["name"] for p in params if p["in"] == "query"] + ["unknown_param"]
        for name in query_names:
            requests.append((f"NUL in ?{name}", {"params": {name: "a\x00b"}}))
            for big in BIG_INTS:
                requests.append((f"?{name}={big}", {"params": {name: big}}))
        for p in params:
            if p["in"] == "path":
                for bad in [*BIG_INTS, "-1", "%00", "a%00b"]:
                    requests.append((f"/{{{p['name']}}}={bad}", {"path": fill(template, **{p["name"]: bad})}))
        for what, kwargs in requests:
            url = kwargs.pop("path", path)
            headers = json_headers if "content" in kwargs else auth
            r = await client.request(method, url, headers=headers, **kwargs)
            assert_refusal(r, op, what)
            sent += 1
    assert sent > 400, sent


async def test_a_signed_token_with_an_unknown_role_is_401_everywhere(
    client: AsyncTestClient[Any], owner: dict[str, Any]
) -> None:
    platform = client.app.state.platform
    claims = {"sub": uuid.UUID(owner["user_id"]), "cid": uuid.UUID(owner["workspace_id"])}
    for role in ("superuser", "OWNER", "x" * 5000):
        token, _ = platform.tokens.issue(typ="access", ttl=60, role=role, **claims)
        for method, template, op in operations(client.app):
            if op["x-public"]:
                continue
            r = await client.request(method, fill(template, version="1"), headers={"Authorization": f"Bearer {token}"})
            assert r.status_code == 401, f"{method} {template}: {r.status_code} {r.text[:200]}"
            assert "role" in r.json()["detail"]


async def test_dates_at_the_edge_of_time_in_a_simulation(client: AsyncTestClient[Any], owner: dict[str, Any]) -> None:
    """A real program, so the date reaches the simulator's arithmetic (it overflowed past year 9999: 500)."""
    from tests.fixtures.programs import wait_graph

    auth = owner["headers"]
    r = await client.post("/api/v1/programs", headers=auth, json={"name": "Edge", "graph": wait_graph()})
    assert r.status_code == 201, r.text
    url = f"/api/v1/programs/{r.json()['id']}/simulate"
    for moment in ("9999-12-31T23:59:59Z", "9999-12-31T00:00:00+00:00", "0001-01-01T00:00:00Z"):
        for body in ({"start_at": moment}, {"events": [{"name": "x", "at": moment}]}):
            r = await client.post(url, headers=auth, json=body)
            assert r.status_code == 422, r.text
            assert "dates must fall between" in r.json()["detail"]
    r = await client.post(url, headers=auth, json={"start_at": "2030-01-01T09:00:00Z"})
    assert r.status_code == 200, r.text


async def test_database_data_errors_are_the_callers_not_an_outage(
    client: AsyncTestClient[Any], owner: dict[str, Any]
) -> None:
    """Values only PostgreSQL refuses (NUL in multipart text) are a 4xx naming the problem, never a 503/500."""
    r = await client.post(
        "/api/v1/knowledge/documents",
        headers=owner["headers"],
        files={"file": ("notes.txt", b"Some plain words to read.")},
        data={"title": "a\x00b"},
    )
    assert r.status_code == 422, r.text
    assert "NUL" in r.json()["detail"] and "unavailable" not in r.json()["detail"]
    r = await client.get("/api/v1/knowledge/documents", headers=owner["headers"])
    assert r.json() == []  # nothing half-written


def test_error_details_are_clipped() -> None:
    from backend.lib.errors import MAX_DETAIL, InvalidInput, domain_error_answer

    status, body, _ = domain_error_answer(InvalidInput(f"template: unknown template {HUGE!r}"))
    assert status == 422 and len(body["detail"]) <= MAX_DETAIL and "characters in all" in body["detail"]
