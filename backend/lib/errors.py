"""Domain errors and the one table that maps them (and framework errors) to JSON responses.

Every error leaves the API as `{"error": <code>, "detail": <human text>}` with a 4xx/5xx status.
"""

from __future__ import annotations

from typing import Any

import structlog
from litestar import MediaType, Request, Response
from litestar.exceptions import (
    HTTPException,
    NotAuthorizedException,
    NotFoundException,
    PermissionDeniedException,
    SerializationException,
    ValidationException,
)
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR
from redis.exceptions import RedisError
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout

log = structlog.get_logger()


class DomainError(Exception):
    """Base of errors the API answers with a 4xx. `code` is stable; `detail` is for people."""

    code = "bad_request"
    status = 400

    def __init__(self, detail: str, *, extra: dict[str, Any] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = extra or {}


class InvalidInput(DomainError):
    code, status = "invalid_input", 422


class NotAuthenticated(DomainError):
    code, status = "not_authenticated", 401


class Forbidden(DomainError):
    code, status = "forbidden", 403


class NotFound(DomainError):
    code, status = "not_found", 404


class Conflict(DomainError):
    code, status = "conflict", 409


class AccountExists(Conflict):
    code = "account_exists"


class InvalidToken(DomainError):
    """A one-time link's token that was never issued (or was altered): no such link."""

    code, status = "invalid_token", 404


class TokenExpired(DomainError):
    code, status = "token_expired", 410


class TokenUsed(DomainError):
    code, status = "token_used", 410


class PayloadTooLarge(DomainError):
    code, status = "payload_too_large", 413


class UnsupportedMedia(DomainError):
    code, status = "unsupported_media_type", 415


class RateLimited(DomainError):
    code, status = "rate_limited", 429


class Unavailable(DomainError):
    code, status = "unavailable", 503


# Framework errors we answer with our own codes; anything else HTTP keeps its status.
_HTTP_CODES: dict[int, str] = {
    400: "bad_request",
    401: "not_authenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    415: "unsupported_media_type",
    429: "rate_limited",
}


# An error never echoes a huge input back (a 900 KB value used to come back whole in `detail`).
MAX_DETAIL = 500


def clip(text: str, limit: int = MAX_DETAIL) -> str:
    if len(text) <= limit:
        return text
    tail = f"... ({len(text):,} characters in all)"
    return text[: limit - len(tail)] + tail


def error_body(code: str, detail: str, **extra: Any) -> dict[str, Any]:
    return {"error": code, "detail": clip(detail), **extra}


def _respond(status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> Response[Any]:
    return Response(content=body, status_code=status, media_type=MediaType.JSON, headers=headers)


def domain_error_answer(exc: DomainError) -> tuple[int, dict[str, Any], dict[str, str] | None]:
    """Status, JSON body and headers of a domain error's answer (also sent by the edge middleware)."""
    headers = {"Retry-After": str(exc.extra["retry_after"])} if "retry_after" in exc.extra else None
    return exc.status, error_body(exc.code, exc.detail, **exc.extra), headers


def domain_error_handler(_: Request[Any, Any, Any], exc: DomainError) -> Response[Any]:
    return _respond(*domain_error_answer(exc))


def validation_handler(_: Request[Any, Any, Any], exc: ValidationException) -> Response[Any]:
    # Litestar's message says what failed ("Validation failed for POST ..."); `extra` lists fields.
    fields = exc.extra if isinstance(exc.extra, list) else []
    if any(isinstance(f, dict) and f.get("key") == "data" and f.get("message") == "'data'" for f in fields):
        # An empty body on an endpoint that needs one: Litestar reports the missing kwarg as "'data'".
        return _respond(400, error_body("malformed_body", "A JSON request body is required"))
    detail = "; ".join(f"{f.get('key') or 'body'}: {f.get('message')}" for f in fields if isinstance(f, dict)) or str(
        exc.detail
    )
    status = 400 if "JSON" in str(exc.detail) or "decode" in str(exc.detail).lower() else 422
    code = "malformed_body" if status == 400 else "invalid_input"
    return _respond(status, error_body(code, detail))


def http_error_handler(_: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    if exc.status_code == 400 and isinstance(exc.__cause__, SerializationException):
        # Litestar wraps the JSON decoder's error ("Input data was truncated") in a bare 400.
        return _respond(400, error_body("malformed_body", f"Request body is not valid JSON: {exc.detail}"))
    code = _HTTP_CODES.get(exc.status_code, "http_error")
    return _respond(exc.status_code, error_body(code, str(exc.detail)), exc.headers)


# How long a client should wait before trying again when Redis (sessions, limits, queue) is unreachable.
REDIS_RETRY_AFTER = 5


def redis_unavailable() -> Unavailable:
    return Unavailable(
        "A service the API needs is unavailable for a moment; try again shortly",
        extra={"retry_after": REDIS_RETRY_AFTER},
    )


def redis_error_handler(request: Request[Any, Any, Any], exc: RedisError) -> Response[Any]:
    """Redis down: 503 with Retry-After (never 500); the client reconnects by itself once it is back."""
    log.warning("redis_unavailable", path=request.url.path, error=str(exc)[:200])
    return domain_error_handler(request, redis_unavailable())


# PostgreSQL's SQLSTATEs for values it cannot store or compare (class 22) said in words people act on.
_DATA_ERRORS: dict[str, str] = {
    "22001": "A text value is longer than allowed",
    "22003": "A number is out of range",
    "22007": "A date or time is not valid",
    "22008": "A date or time is out of range",
    "22021": "Text may not contain NUL characters (\\u0000)",
    "22P05": "Text may not contain NUL characters (\\u0000)",
    "22P02": "A value has the wrong form",
    "2201W": "A limit is out of range",
    "2201X": "An offset is out of range",
    "54001": "The input is nested too deeply",
}


def _sqlstate(exc: BaseException) -> str:
    seen: BaseException | None = exc
    while seen is not None:
        state = getattr(seen, "sqlstate", None)
        if isinstance(state, str) and state:
            return state
        seen = getattr(seen, "orig", None) or seen.__cause__
    return ""


def database_error(exc: BaseException) -> DomainError | None:
    """A database error caused by the request's values (a 4xx) or by an unreachable database (a 503).

    A value PostgreSQL cannot store or compare (a NUL in text, a number past its column's range) is the
    caller's mistake, never "the database is unavailable"."""
    state = _sqlstate(exc)
    if state.startswith("22") or state == "54001":
        return InvalidInput(_DATA_ERRORS.get(state, "A value is out of range or not valid"))
    if state.startswith("23"):
        return Conflict("The change conflicts with existing data (a duplicate or a missing reference)")
    if state.startswith(("08", "53", "57P")) or isinstance(exc, PoolTimeout | ConnectionError | TimeoutError):
        return Unavailable("The database is unavailable; try again shortly", extra={"retry_after": 2})
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return Unavailable("The database is unavailable; try again shortly", extra={"retry_after": 2})
    return None


def internal_error_handler(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    found = database_error(exc) if isinstance(exc, DBAPIError | OSError | PoolTimeout | TimeoutError) else None
    if found is None and _sqlstate(exc):  # raw asyncpg errors (the hot reads' pool)
        found = database_error(exc)
    if found is None and isinstance(exc, OverflowError):  # date arithmetic past year 9999, and the like
        found = InvalidInput("A date or number is out of the supported range")
    if found is None and isinstance(exc, RecursionError):
        found = DomainError("The input is nested too deeply")
    if found is not None:
        log.warning("refused_by_data", path=request.url.path, error=found.code, cause=clip(str(exc), 300))
        return domain_error_handler(request, found)
    log.exception("unhandled_error", path=request.url.path, exc_info=exc)
    return _respond(HTTP_500_INTERNAL_SERVER_ERROR, error_body("internal_error", "Internal server error"))


EXCEPTION_HANDLERS: dict[type[Exception] | int, Any] = {
    DomainError: domain_error_handler,
    RedisError: redis_error_handler,
    ValidationException: validation_handler,
    NotAuthorizedException: http_error_handler,
    PermissionDeniedException: http_error_handler,
    NotFoundException: http_error_handler,
    HTTPException: http_error_handler,
    Exception: internal_error_handler,
}
