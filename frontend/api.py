"""The hub's one typed async client of the CoachTwin API.

Every state class calls the API through these functions, with the signed-in user's access token; the hub
never opens a database session. Errors come back as `ApiError` carrying the API's stable `error` code
and its human `detail`, so pages can show a readable message and never a stack trace.
"""

from __future__ import annotations

import os
from typing import Any, TypedDict, cast

import httpx

from common.enums import DocumentStatus, Role

__all__ = ["ApiError", "DocumentStatus", "Role"]


def base_url() -> str:
    return os.environ.get("PUBLIC_API_URL", "").strip().rstrip("/") or "http://127.0.0.1:8000"


def ws_url(path: str, token: str) -> str:
    return base_url().replace("http", "ws", 1) + f"{path}?token={token}"


class ApiError(Exception):
    """A non-2xx answer (or no answer at all) from the API, with a message people can read."""

    def __init__(self, status: int, code: str, detail: str) -> None:
        super().__init__(f"{status} {code}: {detail}")
        self.status, self.code, self.detail = status, code, detail

    @property
    def not_available(self) -> bool:
        """The endpoint does not exist on this API yet (a feature still being built)."""
        return self.status in {404, 405} and self.code in {"not_found", "http_error", "method_not_allowed"}


# --- Shapes (mirror the API's msgspec schemas) -------------------------------------------------------


class UserOut(TypedDict):
    id: str
    email: str
    full_name: str


class WorkspaceRef(TypedDict):
    id: str
    name: str
    role: str


class Accepted(TypedDict):
    status: str
    detail: str


class TokenPair(TypedDict):
    access_token: str
    refresh_token: str
    token_type: str
    expires_in: int
    workspace_id: str


class MeOut(TypedDict):
    user: UserOut
    workspace: WorkspaceRef


class WorkspaceOut(TypedDict):
    id: str
    name: str
    created_at: str
    role: str


class TeamMember(TypedDict):
    user_id: str
    email: str
    full_name: str
    role: str
    joined_at: str


class Invitation(TypedDict, total=False):
    id: str
    email: str
    role: str
    expires_at: str
    accepted_at: str | None
    token: str | None


class Document(TypedDict, total=False):
    id: str
    title: str
    status: str
    progress: float
    chunk_count: int
    error: str | None
    tags: list[str]
    created_at: str


class Passage(TypedDict, total=False):
    text: str
    score: float
    document_id: str
    document_title: str
    location: dict[str, Any]
    chunk_id: str


class Citation(TypedDict, total=False):
    document_id: str
    document_title: str
    location: dict[str, Any]
    text: str


class ChatReply(TypedDict, total=False):
    conversation_id: str
    message_id: str
    reply: str
    mode: str
    grounded: bool
    citations: list[Citation]
    consistency: float | None


def format_location(location: Any) -> str:
    """A citation's place in its document, for people: `p. 3 · On anger` (the API sends a dict)."""
    if isinstance(location, str):
        return location
    if not isinstance(location, dict):
        return ""
    parts = []
    if location.get("page") is not None:
        parts.append(f"p. {location['page']}")
    if location.get("heading"):
        parts.append(str(location["heading"]))
    if not parts and location.get("offset") is not None:
        parts.append(f"char {location['offset']}")
    return " · ".join(parts)


# --- Transport ---------------------------------------------------------------------------------------

_client: httpx.AsyncClient | None = None


def client() -> httpx.AsyncClient:
    """One pooled client per hub process (created lazily: nothing connects at import time)."""
    global _client
    if _client is None or _client.is_closed:
        _client = httpx.AsyncClient(base_url=base_url(), timeout=httpx.Timeout(30.0, connect=5.0))
    return _client


def _error_from(response: httpx.Response) -> ApiError:
    code, detail = "http_error", response.reason_phrase or "Request failed"
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict):
        code = str(body.get("error") or code)
        raw = body.get("detail") or detail
        detail = raw if isinstance(raw, str) else "; ".join(str(x) for x in raw) if isinstance(raw, list) else str(raw)
        if code == "invalid_input":
            detail = _friendly_validation(detail)
    if response.status_code == 404 and code == "http_error":
        code = "not_found"
    return ApiError(response.status_code, code, detail)


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


async def request(
    method: str,
    path: str,
    token: str | None = None,
    *,
    json: Any = None,
    params: dict[str, Any] | None = None,
    files: Any = None,
    data: dict[str, Any] | None = None,
    wait: float | None = None,
) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    try:
        response = await client().request(
            method,
            path,
            json=json,
            params=params,
            files=files,
            data=data,
            headers=headers,
            timeout=wait if wait is not None else httpx.USE_CLIENT_DEFAULT,
        )
    except httpx.TimeoutException as exc:
        raise ApiError(504, "timeout", "The CoachTwin API took too long to answer. Please try again.") from exc
    except httpx.HTTPError as exc:
        raise ApiError(503, "unreachable", f"The CoachTwin API is not reachable at {base_url()}.") from exc
    if response.status_code >= 400:
        raise _error_from(response)
    if response.status_code == 204 or not response.content:
        return None
    try:
        return response.json()
    except ValueError:
        return response.text


# --- Auth --------------------------------------------------------------------------------------------


async def register(email: str, password: str, full_name: str, workspace_name: str | None = None) -> Accepted:
    """Start a sign-up: the API emails a confirmation link (the same answer for a known address)."""
    body = {"email": email, "password": password, "full_name": full_name}
    if workspace_name:
        body["workspace_name"] = workspace_name
    return cast(Accepted, await request("POST", "/api/v1/auth/register", json=body))


async def verify_email(signup_token: str) -> TokenPair:
    """Confirm a sign-up with the emailed link's token: the account exists and is signed in."""
    return cast(TokenPair, await request("POST", "/api/v1/auth/verify-email", json={"token": signup_token}))


async def login(email: str, password: str) -> TokenPair:
    return cast(TokenPair, await request("POST", "/api/v1/auth/login", json={"email": email, "password": password}))


async def refresh(refresh_token: str) -> TokenPair:
    return cast(TokenPair, await request("POST", "/api/v1/auth/refresh", json={"refresh_token": refresh_token}))


async def logout(token: str, refresh_token: str | None) -> None:
    await request("POST", "/api/v1/auth/logout", token, json={"refresh_token": refresh_token or None})


async def me(token: str) -> MeOut:
    return cast(MeOut, await request("GET", "/api/v1/auth/me", token))


async def accept_invitation(invite_token: str, password: str, full_name: str | None = None) -> Any:
    body: dict[str, Any] = {"token": invite_token, "password": password}
    if full_name:
        body["full_name"] = full_name
    return await request("POST", "/api/v1/auth/accept-invitation", json=body)


# --- Workspace and team ------------------------------------------------------------------------------


async def workspace(token: str) -> WorkspaceOut:
    return cast(WorkspaceOut, await request("GET", "/api/v1/workspace", token))


async def rename_workspace(token: str, name: str) -> WorkspaceOut:
    return cast(WorkspaceOut, await request("PATCH", "/api/v1/workspace", token, json={"name": name}))


async def members(token: str) -> list[TeamMember]:
    return cast(list[TeamMember], await request("GET", "/api/v1/team/members", token))


async def change_role(token: str, user_id: str, role: str) -> dict[str, str]:
    return cast(dict[str, str], await request("PATCH", f"/api/v1/team/members/{user_id}", token, json={"role": role}))


async def remove_member(token: str, user_id: str) -> None:
    await request("DELETE", f"/api/v1/team/members/{user_id}", token)


async def invitations(token: str) -> list[Invitation]:
    return cast(list[Invitation], await request("GET", "/api/v1/team/invitations", token))


async def invite(token: str, email: str, role: str) -> Invitation:
    return cast(
        Invitation, await request("POST", "/api/v1/team/invitations", token, json={"email": email, "role": role})
    )


async def revoke_invitation(token: str, invitation_id: str) -> None:
    await request("DELETE", f"/api/v1/team/invitations/{invitation_id}", token)


# --- Health ------------------------------------------------------------------------------------------


async def health_ready() -> dict[str, Any]:
    """Readiness answers 503 with the same body when degraded: return the body either way."""
    try:
        response = await client().get("/health/ready", timeout=8.0)
    except httpx.HTTPError as exc:
        raise ApiError(503, "unreachable", f"The CoachTwin API is not reachable at {base_url()}.") from exc
    try:
        return cast(dict[str, Any], response.json())
    except ValueError as exc:
        raise _error_from(response) from exc


# --- Knowledge ---------------------------------------------------------------------------------------


async def documents(token: str) -> list[Document]:
    data = await request("GET", "/api/v1/knowledge/documents", token)
    if isinstance(data, dict):  # tolerate {"items": [...]} pagination envelopes
        data = data.get("items") or data.get("documents") or []
    return cast(list[Document], data)


async def document(token: str, document_id: str) -> Document:
    return cast(Document, await request("GET", f"/api/v1/knowledge/documents/{document_id}", token))


async def upload_document(token: str, filename: str, content: bytes, title: str = "", tags: str = "") -> Document:
    data = {k: v for k, v in {"title": title, "tags": tags}.items() if v}
    files = {"file": (filename, content, "application/octet-stream")}
    return cast(Document, await request("POST", "/api/v1/knowledge/documents", token, files=files, data=data, wait=120))


async def delete_document(token: str, document_id: str) -> None:
    await request("DELETE", f"/api/v1/knowledge/documents/{document_id}", token)


async def search(token: str, q: str, k: int = 5) -> list[Passage]:
    data = await request("GET", "/api/v1/knowledge/search", token, params={"q": q, "k": k})
    return cast(list[Passage], (data or {}).get("results", []))


# --- Twin --------------------------------------------------------------------------------------------


async def persona(token: str) -> dict[str, Any]:
    return cast(dict[str, Any], await request("GET", "/api/v1/twin/persona", token))


async def persona_version(token: str, version: int) -> dict[str, Any]:
    return dict(await request("GET", f"/api/v1/twin/persona/versions/{version}", token))


async def save_persona(token: str, body: dict[str, Any]) -> dict[str, Any]:
    return cast(dict[str, Any], await request("PUT", "/api/v1/twin/persona", token, json=body))


async def approve_persona(token: str, version: int) -> dict[str, Any]:
    return cast(dict[str, Any], await request("POST", f"/api/v1/twin/persona/versions/{version}/approve", token))


async def synthesize_persona(token: str) -> dict[str, Any]:
    return cast(dict[str, Any], await request("POST", "/api/v1/twin/persona/synthesize", token, wait=300))


async def chat(token: str, message: str, conversation_id: str | None = None) -> ChatReply:
    body: dict[str, Any] = {"message": message}
    if conversation_id:
        body["conversation_id"] = conversation_id
    return cast(ChatReply, await request("POST", "/api/v1/chat", token, json=body, wait=180))


async def conversations(
    token: str, flagged: bool | None = None, kind: str | None = None, low_consistency: float | None = None
) -> list[dict[str, Any]]:
    params: dict[str, Any] = {}
    if flagged is not None:
        params["flagged"] = "true" if flagged else "false"
    if kind:
        params["kind"] = kind
    if low_consistency is not None:
        params["low_consistency"] = low_consistency
    data = await request("GET", "/api/v1/conversations", token, params=params or None)
    if isinstance(data, dict):
        data = data.get("items") or data.get("conversations") or []
    return cast(list[dict[str, Any]], data)


async def conversation(token: str, conversation_id: str) -> dict[str, Any]:
    return cast(dict[str, Any], await request("GET", f"/api/v1/conversations/{conversation_id}", token))
