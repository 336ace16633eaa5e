"""HTTP endpoints for a workspace's knowledge: /api/v1/knowledge/*."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Annotated

from litestar import Controller, Response, delete, get, patch, post, put
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, FromQuery, JSONBody, QueryParameter

from backend.knowledge import service
from backend.knowledge.schemas import (
    AcceptedOut,
    DocumentOut,
    DocumentPatch,
    PassagesOut,
    SearchOut,
    SearchResult,
    document_out,
)
from backend.knowledge.search import Mode, search
from backend.lib.bounds import OffsetParam
from backend.lib.deps import Caller, Db, Plat
from backend.lib.errors import InvalidInput
from backend.lib.openapi import errors
from backend.lib.platform import Platform
from backend.lib.principal import min_role
from common.enums import DocumentStatus, Role
from common.settings import get_settings

# Multipart bodies may be as large as an upload plus its form fields; JSON bodies keep the small limit.
UPLOAD_BODY_LIMIT = get_settings().max_upload_bytes + 256 * 1024


@dataclass
class UploadForm:
    file: UploadFile
    title: str | None = None
    tags: str | None = None
    if_exists: str | None = None  # "keep_both": add it even if the same content or file name is already there


Multipart = Annotated[UploadForm, Body(media_type=RequestEncodingType.MULTI_PART)]


async def _read(form: UploadForm, platform: Platform) -> tuple[bytes, str, str]:
    if not isinstance(form.file, UploadFile):
        raise InvalidInput("file: attach the document as a multipart field named 'file'")
    data = await form.file.read()
    filename = form.file.filename or "upload"
    return data, filename, service.check_upload(data, filename, platform.settings.max_upload_bytes)


class KnowledgeController(Controller):
    path = "/api/v1/knowledge"
    tags = ["knowledge"]
    guards = [min_role(Role.viewer)]

    @post(
        "/documents",
        guards=[min_role(Role.editor)],
        status_code=202,
        request_max_body_size=UPLOAD_BODY_LIMIT,
        responses=errors(
            409,
            415,
            s409="The same content, or a different file of the same name, is already in the "
            "knowledge: `reason` (duplicate_content | same_name), `existing_id`, `existing_title`",
        ),
    )
    async def upload(self, data: Multipart, platform: Plat, db: Db, principal: Caller) -> Response[AcceptedOut]:
        """Upload a PDF, DOCX, TXT or Markdown file; it is indexed in the background. The same content, or a
        different file of the same name, is refused with 409 unless `if_exists=keep_both`."""
        raw, filename, kind = await _read(data, platform)
        if (data.if_exists or "").strip() != "keep_both":
            await service.check_duplicates(db, raw, filename)
        doc = await service.create(
            db, principal.creator_id, raw, filename, kind, data.title, service.clean_tags(data.tags)
        )
        service.index_after_commit(platform, db, doc)
        return Response(AcceptedOut(id=doc.id, status=DocumentStatus(doc.status)), status_code=202)

    @get("/documents")
    async def list_documents(
        self,
        db: Db,
        tag: FromQuery[str | None] = None,
        q: Annotated[str | None, QueryParameter(max_length=200)] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=500)] = 200,
        offset: OffsetParam = 0,
    ) -> list[DocumentOut]:
        return [document_out(d) for d in await service.listing(db, tag=tag, q=q, limit=limit, offset=offset)]

    @get("/documents/{document_id:uuid}")
    async def get_document(self, document_id: FromPath[uuid.UUID], db: Db) -> DocumentOut:
        return document_out(await service.get(db, document_id))

    @get("/documents/{document_id:uuid}/passages")
    async def document_passages(
        self,
        document_id: FromPath[uuid.UUID],
        db: Db,
        offset: OffsetParam = 0,
        limit: Annotated[int, QueryParameter(ge=1, le=500)] = 100,
        around: FromQuery[uuid.UUID | None] = None,
    ) -> PassagesOut:
        """The document's passages in reading order; `around` (a cited passage's id) opens a window at it."""
        return await service.passages(db, document_id, offset=offset, limit=limit, around=around)

    @patch("/documents/{document_id:uuid}", guards=[min_role(Role.editor)])
    async def edit_document(
        self, document_id: FromPath[uuid.UUID], data: JSONBody[DocumentPatch], db: Db
    ) -> DocumentOut:
        return document_out(await service.edit(db, document_id, data))

    @put(
        "/documents/{document_id:uuid}",
        guards=[min_role(Role.editor)],
        status_code=202,
        request_max_body_size=UPLOAD_BODY_LIMIT,
        responses=errors(409, 415),
    )
    async def replace_document(
        self, document_id: FromPath[uuid.UUID], data: Multipart, platform: Plat, db: Db
    ) -> Response[AcceptedOut]:
        """Upload a new version of a document: same id and tags, re-indexed from the new file."""
        doc = await service.get(db, document_id, lock=True)
        raw, filename, kind = await _read(data, platform)
        doc = await service.replace(db, doc, raw, filename, kind)
        service.index_after_commit(platform, db, doc)
        return Response(AcceptedOut(id=doc.id, status=DocumentStatus(doc.status)), status_code=202)

    @delete("/documents/{document_id:uuid}", guards=[min_role(Role.editor)], status_code=204)
    async def delete_document(self, document_id: FromPath[uuid.UUID], platform: Plat, db: Db) -> None:
        await service.delete_document(platform, db, document_id)

    @get("/search")
    async def search_knowledge(
        self,
        platform: Plat,
        db: Db,
        principal: Caller,
        q: Annotated[str, QueryParameter(min_length=1, max_length=1000)],
        k: Annotated[int, QueryParameter(ge=1, le=50)] = 5,
        mode: FromQuery[Mode] = "hybrid",
    ) -> SearchOut:
        """Hybrid search over the workspace's passages, each with its document and location."""
        hits = await search(platform, db, principal.creator_id, q, k, mode)
        return SearchOut(
            query=q,
            mode=mode,
            results=[
                SearchResult(
                    text=h.text,
                    score=h.score,
                    document_id=h.document_id,
                    document_title=h.document_title,
                    location=h.location,
                    chunk_id=h.chunk_id,
                )
                for h in hits
            ],
        )
