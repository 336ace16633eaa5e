"""The hub's one typed client of the CoachTwin API.

Page states call the API only through these modules, with the signed-in user's access token (through
`AuthState.call`); the hub never opens a database session. One module per API feature (`analytics`, `auth`,
`team`, `channels`, `dev`, `engagement`, `inbox`, `knowledge`, `twin`, `trainer`, `programs`, `members`, `health`), each
function answering with the API's own contract (`frontend.api.contracts`, generated from the OpenAPI schema).
Every failure is an `ApiError` carrying the API's stable `error` code and its human `detail`, so pages show a
readable message and never a stack trace.
"""

from __future__ import annotations

from frontend.api import (
    analytics,
    auth,
    channels,
    contracts,
    dev,
    engagement,
    health,
    inbox,
    knowledge,
    members,
    programs,
    team,
    trainer,
    twin,
)
from frontend.api.transport import ApiError, base_url, ws_url

__all__ = [
    "ApiError",
    "analytics",
    "auth",
    "base_url",
    "channels",
    "contracts",
    "dev",
    "engagement",
    "health",
    "inbox",
    "knowledge",
    "members",
    "programs",
    "team",
    "trainer",
    "twin",
    "ws_url",
]
