"""Who may read operational details (/metrics, /health/ready's checks): monitoring with OPS_TOKEN, a
workspace admin (readiness details only), or in dev without a token, this machine."""

from __future__ import annotations

import hmac
import ipaddress
from typing import Any

from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler

from backend.lib.edge import bearer_token
from backend.lib.errors import DomainError, NotAuthenticated
from backend.lib.platform import Platform
from backend.lib.principal import authenticate, has_role
from common.enums import Role


def _loopback(connection: ASGIConnection[Any, Any, Any, Any]) -> bool:
    try:
        return connection.client is not None and ipaddress.ip_address(connection.client.host).is_loopback
    except ValueError:
        return False


def ops_allowed(connection: ASGIConnection[Any, Any, Any, Any]) -> bool:
    settings = connection.app.state.platform.settings
    if settings.ops_token:
        token = bearer_token(connection.headers.get("authorization", "").encode("latin-1"))
        return bool(token) and hmac.compare_digest(token.encode(), settings.ops_token.encode())
    return settings.is_dev and _loopback(connection)


async def ops_only(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    """Guard of /metrics."""
    if not ops_allowed(connection):
        raise NotAuthenticated("Metrics need the operations token (Authorization: Bearer $OPS_TOKEN)")


async def may_see_details(connection: ASGIConnection[Any, Any, Any, Any]) -> bool:
    """Readiness details: monitoring (as for metrics), or a signed-in admin of a workspace."""
    if ops_allowed(connection):
        return True
    token = bearer_token(connection.headers.get("authorization", "").encode("latin-1"))
    if not token:
        return False
    platform: Platform = connection.app.state.platform
    try:
        return has_role(await authenticate(platform, token), Role.admin)
    except DomainError:
        return False
