"""HTTP endpoints for the twin: persona studio, chat, conversations and consistency review."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from litestar import Controller, get, post, put
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter

from backend.lib.bounds import VersionParam
from backend.lib.deps import Caller, Db, Plat
from backend.lib.openapi import errors
from backend.lib.principal import any_principal, min_role
from backend.twin import repository, service
from backend.twin.chat import check_rate, run_turn
from backend.twin.schemas import (
    ChatIn,
    ChatOut,
    ConversationOut,
    PersonaIn,
    PersonaOut,
    PersonaState,
    WeakReply,
    chat_out,
    conversation_out,
    persona_out,
    persona_version_ref,
    weak_reply_out,
)
from common.enums import PersonaStatus, Role, SynthesisStatus


class PersonaController(Controller):
    path = "/api/v1/twin"
    tags = ["twin"]
    guards = [min_role(Role.viewer)]

    @get("/persona")
    async def state(self, db: Db, platform: Plat, principal: Caller) -> PersonaState:
        """The newest persona version, which one is approved, all versions, and synthesis progress."""
        rows = await service.versions(db)
        return PersonaState(
            current=persona_out(rows[0]) if rows else None,
            approved_version=next((p.version for p in rows if p.status == PersonaStatus.approved), None),
            versions=[persona_version_ref(p) for p in rows],
            synthesis=await service.get_progress(platform, principal.creator_id),
        )

    @get("/persona/versions/{version:int}")
    async def version(self, version: VersionParam, db: Db) -> PersonaOut:
        return persona_out(await service.version(db, version))

    @put("/persona", guards=[min_role(Role.editor)])
    async def edit(self, data: JSONBody[PersonaIn], db: Db, platform: Plat, principal: Caller) -> PersonaOut:
        """Save an edited card and principles as a new version (approving it needs an admin)."""
        row = await service.edit(
            platform, db, principal, data.card, list(data.principles), data.name, approve_it=data.approve
        )
        return persona_out(row)

    @post("/persona/versions/{version:int}/approve", guards=[min_role(Role.admin)], status_code=200)
    async def approve(self, version: VersionParam, db: Db, platform: Plat, principal: Caller) -> PersonaOut:
        return persona_out(await service.approve_version(platform, db, principal.creator_id, version))

    @post("/persona/synthesize", guards=[min_role(Role.editor)], status_code=202, responses=errors(409))
    async def synthesize(self, platform: Plat, principal: Caller) -> dict[str, Any]:
        """Learn the persona from the workspace's ready documents, in the background."""
        await service.request_synthesis(platform, principal)
        return {"status": SynthesisStatus.queued}

    @get("/consistency/weakest")
    async def weakest(self, db: Db, limit: Annotated[int, QueryParameter(ge=1, le=100)] = 20) -> list[WeakReply]:
        """The twin replies least like the creator: the first place to look when tuning the persona."""
        return [weak_reply_out(m) for m in await repository.weakest_replies(db, limit)]


class ChatController(Controller):
    path = "/api/v1"
    tags = ["chat"]
    guards = [any_principal]

    @post("/chat", status_code=200, responses=errors(403, 404, 429))
    async def chat(self, data: JSONBody[ChatIn], platform: Plat, principal: Caller) -> ChatOut:
        """One turn with the twin (members: their own conversations; staff: the playground)."""
        await check_rate(platform, principal)
        result = await run_turn(platform, principal, data.message, data.conversation_id, data.client_id)
        return chat_out(result.public())

    @get("/conversations")
    async def conversations(
        self,
        db: Db,
        principal: Caller,
        flagged: FromQuery[bool | None] = None,
        kind: FromQuery[str | None] = None,
        low_consistency: Annotated[float | None, QueryParameter(ge=0, le=1)] = None,
        handoff: Annotated[
            bool | None, QueryParameter(description="only those whose member asked for a person")
        ] = None,
        taken_over: Annotated[bool | None, QueryParameter(description="only those a creator holds")] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=200)] = 50,
    ) -> list[ConversationOut]:
        """Staff see the workspace's conversations (filter flagged ones, handoff requests, taken over); a member
        sees their own."""
        rows = await repository.listing(
            db,
            principal,
            flagged=flagged,
            kind=kind,
            low_consistency=low_consistency,
            limit=limit,
            handoff=handoff,
            taken_over=taken_over,
        )
        return [conversation_out(c, low=lo) for c, lo in rows]

    @get("/conversations/{conversation_id:uuid}")
    async def conversation(self, conversation_id: FromPath[uuid.UUID], db: Db, principal: Caller) -> ConversationOut:
        conv = await repository.visible(db, principal, conversation_id)
        return conversation_out(conv, await repository.messages(db, conv.id))
