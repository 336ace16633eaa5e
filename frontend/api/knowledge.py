"""Knowledge: documents (upload, list, read, delete) and the search tester."""

from __future__ import annotations

from frontend.api.contracts import AcceptedOut, DocumentOut, PassagesOut, SearchOut, SearchResult
from frontend.api.transport import send

BASE = "/api/v1/knowledge"


async def documents(token: str) -> list[DocumentOut]:
    return await send("GET", f"{BASE}/documents", token, into=list[DocumentOut])


async def document(token: str, document_id: str) -> DocumentOut:
    return await send("GET", f"{BASE}/documents/{document_id}", token, into=DocumentOut)


async def upload_document(
    token: str, filename: str, content: bytes, title: str = "", tags: str = "", *, keep_both: bool = False
) -> AcceptedOut:
    """Add a file (409 with `reason` and `existing_id` when its content or name is already there)."""
    data = {k: v for k, v in {"title": title, "tags": tags, "if_exists": "keep_both" if keep_both else ""}.items() if v}
    files = {"file": (filename, content, "application/octet-stream")}
    return await send("POST", f"{BASE}/documents", token, files=files, data=data, wait=120, into=AcceptedOut)


async def replace_document(token: str, document_id: str, filename: str, content: bytes) -> AcceptedOut:
    """A new version of a document: same id and tags, indexed again from this file."""
    files = {"file": (filename, content, "application/octet-stream")}
    return await send("PUT", f"{BASE}/documents/{document_id}", token, files=files, wait=120, into=AcceptedOut)


async def passages(token: str, document_id: str, offset: int = 0, around: str = "") -> PassagesOut:
    params: dict[str, str | int] = {"offset": offset, "limit": 100}
    if around:
        params["around"] = around
    return await send("GET", f"{BASE}/documents/{document_id}/passages", token, params=params, into=PassagesOut)


async def delete_document(token: str, document_id: str) -> None:
    await send("DELETE", f"{BASE}/documents/{document_id}", token)


async def search(token: str, q: str, k: int = 5) -> list[SearchResult]:
    return (await send("GET", f"{BASE}/search", token, params={"q": q, "k": k}, into=SearchOut)).results
