"""HTTP to the API: one pooled client, JSON in and out as the API's contracts, and `ApiError` for every failure.

Each feature module (`frontend/api/<feature>.py`) builds its calls on `send`: the answer is decoded straight into
the contract named by `into` (a Struct of `frontend.api.contracts`), so a page never handles raw JSON.
"""

from __future__ import annotations

import os
from typing import Any, TypeVar, overload

import httpx
import msgspec

T = TypeVar("T")


def base_url() -> str:
    return os.environ.get("PUBLIC_API_URL", "").strip().rstrip("/") or "http://127.0.0.1:8000"


def ws_url(path: str, token: str) -> str:
    return base_url().replace("http", "ws", 1) + f"{path}?token={token}"


class ApiError(Exception):
    """A non-2xx answer (or no answer at all) from the API, with a message people can read."""

    def __init__(self, status: int, code: str, detail: str, extra: dict[str, Any] | None = None) -> None:
        super().__init__(f"{status} {code}: {detail}")
        self.status, self.code, self.detail = status, code, detail
        self.extra = extra or {}  # the error body's other fields (e.g. which document an upload duplicates)


_client: httpx.AsyncClient | None = None


def client() -> httpx.AsyncClient:
    """One pooled client per hub process (created lazily: nothing connects at import time)."""
    global _client
    if _client is None or _client.is_closed:
        _client = httpx.AsyncClient(base_url=base_url(), timeout=httpx.Timeout(30.0, connect=5.0))
    return _client


_FIELD_HINTS = {
    "email": "Please enter a valid email address.",
    "password": "Please enter a password.",
    "full_name": "Please enter your name.",
    "name": "Please enter a name.",
    "workspace_name": "Please enter a workspace name.",
}


def _friendly_validation(detail: str) -> str:
    """Turn the API's field-level validation text into a sentence (no regexes shown to people)."""
    field = detail.split(":", 1)[0].strip()
    return _FIELD_HINTS.get(field, detail if "regex" not in detail else f"Please check the {field} field.")


def error_from(response: httpx.Response) -> ApiError:
    """The API's `{"error", "detail"}` body as an ApiError (any other body gets the HTTP reason)."""
    code, detail = "http_error", response.reason_phrase or "Request failed"
    extra: dict[str, Any] = {}
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict):
        extra = {k: v for k, v in body.items() if k not in {"error", "detail"}}
        code = str(body.get("error") or code)
        raw = body.get("detail") or detail
        detail = raw if isinstance(raw, str) else "; ".join(str(x) for x in raw) if isinstance(raw, list) else str(raw)
        if code == "invalid_input":
            detail = _friendly_validation(detail)
    if response.status_code == 404 and code == "http_error":
        code = "not_found"
    return ApiError(response.status_code, code, detail, extra)


def unreachable(exc: httpx.HTTPError) -> ApiError:
    if isinstance(exc, httpx.TimeoutException):
        return ApiError(504, "timeout", "The CoachTwin API took too long to answer. Please try again.")
    return ApiError(503, "unreachable", f"The CoachTwin API is not reachable at {base_url()}.")


def _unwrap(value: Any) -> Any:
    """A value read from a Reflex state comes wrapped in a proxy: send what it wraps."""
    wrapped = getattr(value, "__wrapped__", None)
    if wrapped is None:
        raise NotImplementedError(f"cannot send a {type(value).__name__} to the API")
    return wrapped


async def exchange(
    method: str,
    path: str,
    token: str | None = None,
    *,
    body: Any = None,
    params: dict[str, Any] | None = None,
    files: Any = None,
    data: dict[str, Any] | None = None,
    wait: float | None = None,
) -> httpx.Response:
    """One request; a 2xx response, or ApiError. `body` is a contract Struct (or plain data) sent as JSON."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    content = None
    if body is not None:
        content = msgspec.json.encode(body, enc_hook=_unwrap)
        headers["Content-Type"] = "application/json"
    try:
        response = await client().request(
            method, path, content=content, params=params, files=files, data=data, headers=headers,
            timeout=wait if wait is not None else httpx.USE_CLIENT_DEFAULT,
        )  # fmt: skip
    except httpx.HTTPError as exc:
        raise unreachable(exc) from exc
    if response.status_code >= 400:
        raise error_from(response)
    return response


def decode(content: bytes, into: type[T]) -> T:
    """The answer as its contract; a shape the hub does not know is an error people can read, not a crash."""
    try:
        return msgspec.json.decode(content, type=into)
    except (msgspec.ValidationError, msgspec.DecodeError) as exc:
        raise ApiError(502, "unexpected_answer", f"The CoachTwin API answered in an unexpected shape ({exc}).") from exc


@overload
async def send(method: str, path: str, token: str | None = ..., *, into: type[T], **kw: Any) -> T: ...


@overload
async def send(method: str, path: str, token: str | None = ..., *, into: None = None, **kw: Any) -> None: ...


async def send(method: str, path: str, token: str | None = None, *, into: type[T] | None = None, **kw: Any) -> T | None:
    """Call the API and decode its answer into `into` (None: the answer's body is not read)."""
    response = await exchange(method, path, token, **kw)
    if into is None:
        return None
    return decode(response.content, into)
