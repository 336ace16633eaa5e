"""One chat turn: safety -> retrieval -> grounded? -> LLM (streamed) or extractive -> citations -> store.

The turn commits in two short transactions around the generation, so no database connection is held
while the model speaks. The reply's persona-consistency score is computed after the reply is stored
(backend/twin/consistency.py): the turn returns `consistency` null and the score is stored a moment later.
"""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import structlog
from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from backend.knowledge.search import Hit, search
from backend.lib.cache import hit, tenant_key
from backend.lib.llm import LLM, LLMUnavailable
from backend.lib.platform import Platform
from backend.lib.principal import Principal
from backend.programs import inbox
from backend.programs.jobs import kick
from backend.programs.runtime import StepResult
from backend.trainer import corrections
from backend.twin import calibration, repository, service
from backend.twin.consistency import Reply
from backend.twin.extractive import Passage, compose_extractive
from backend.twin.grounding import Decision, Screen, best_score, decide, screen
from backend.twin.intents import out_of_scope_reply, smalltalk_reply
from backend.twin.memory import extract_facts
from backend.twin.prompt import Source, assemble, format_location
from backend.twin.safety import acknowledge, nothing_written, safe_reply
from common.enums import Channel, MessageRole, MessageSender, PrincipalKind, ReplyMode, WaitingFor
from common.models import Conversation, MemberFact, Message

log = structlog.get_logger()
TokenSink = Callable[[str], Awaitable[None]]
_CITE = re.compile(r"\[S(\d+)\]")
TOP_K = 5
CHAT_LIMIT_PER_MINUTE = 30


async def check_rate(platform: Platform, principal: Principal) -> None:
    """Chat turns per caller per minute, for REST and WebSocket alike."""
    key = tenant_key("ratelimit", principal.creator_id, f"chat:{principal.subject_id}")
    await hit(platform.redis, key, CHAT_LIMIT_PER_MINUTE, 60)


@dataclass
class TurnResult:
    conversation_id: uuid.UUID
    message_id: uuid.UUID
    user_message_id: uuid.UUID
    reply: str
    mode: ReplyMode
    grounded: bool
    citations: list[dict[str, Any]]
    consistency: float | None
    safety: str | None = None
    flagged: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    def public(self) -> dict[str, Any]:
        return {
            "conversation_id": str(self.conversation_id),
            "message_id": str(self.message_id),
            "reply": self.reply,
            "mode": self.mode,
            "grounded": self.grounded,
            "citations": self.citations,
            "consistency": self.consistency,
            "safety": self.safety,
            "program": self.extra.get("program"),
            "held": bool(self.extra.get("held")),
        }


def _citation(hit: Hit) -> dict[str, Any]:
    snippet = hit.text if len(hit.text) <= 400 else hit.text[:397].rsplit(" ", 1)[0] + "..."
    return {
        "document_id": str(hit.document_id),
        "document_title": hit.document_title,
        "location": hit.location,
        "text": snippet,
        "chunk_id": str(hit.chunk_id),
    }


def _passages(hits: list[Hit]) -> list[Passage]:
    return [
        Passage(
            id=f"S{i}",
            text=h.text,
            score=h.score,
            document_id=str(h.document_id),
            document_title=h.document_title,
            location=h.location,
            focus=h.focus,
            sentences=h.sentences,
        )
        for i, h in enumerate(hits, 1)
    ]


async def _calibration(platform: Platform, db: AsyncSession, creator_id: uuid.UUID) -> calibration.Calibration:
    """The workspace's grounding calibration (measured once per corpus state, then cached)."""

    async def top(question: str) -> float:
        return best_score(await search(platform, db, creator_id, question, TOP_K))

    return await calibration.get(platform, db, creator_id, top)


def _topics(persona: service.Speaking) -> list[str]:
    profile = persona.profile_obj
    return [t.label for t in profile.themes][:3] if profile else []


def _plain_reply(s: Screen, decision: Decision, persona: service.Speaking, address: str) -> str:
    """Every reply that quotes nothing: safety, small talk, out of scope, nothing found."""
    if decision.reply == "safety":
        return safe_reply(s.verdict, address)
    lead = acknowledge(s.moment, address) if s.moment else ""
    if decision.reply == "smalltalk" and s.intent is not None:
        return smalltalk_reply(s.intent, persona.name, _topics(persona), address)
    if decision.reply == "out_of_scope" and s.intent is not None:
        body = out_of_scope_reply(s.intent, address)
    else:  # not found: a hard moment still gets warmth and a kind pointer, never a bare refusal
        body = nothing_written(s.moment, address) if s.moment else persona.not_found_reply()
    return f"{lead}\n\n{body}" if lead else body


async def _replay(db: AsyncSession, conversation_id: uuid.UUID, client_id: str) -> TurnResult | Message | None:
    """A message the client already sent (a retry after a drop): the stored reply; or the stored message
    alone when it got none (a creator holds the conversation, or the turn failed after storing it)."""
    user = (
        await db.execute(
            select(Message).where(col(Message.conversation_id) == conversation_id, col(Message.client_id) == client_id)
        )
    ).scalar_one_or_none()
    if user is None:
        return None
    reply = (
        await db.execute(
            select(Message)
            .where(col(Message.conversation_id) == conversation_id, col(Message.role) == MessageRole.assistant)
            .where(col(Message.created_at) >= user.created_at, col(Message.client_id) == f"re:{client_id}")
        )
    ).scalar_one_or_none()
    if reply is None:
        return user
    return TurnResult(
        conversation_id=conversation_id,
        message_id=reply.id,
        user_message_id=user.id,
        reply=reply.content,
        mode=ReplyMode(reply.mode or ReplyMode.extractive),
        grounded=bool(reply.grounded),
        citations=list(reply.citations),
        consistency=reply.consistency,
        safety=reply.safety,
    )


async def _stream_words(text: str, sink: TokenSink | None) -> None:
    if sink is None:
        return
    for word in re.findall(r"\S+\s*", text):
        await sink(word)


async def run_turn(
    platform: Platform,
    principal: Principal,
    text: str,
    conversation_id: uuid.UUID | None = None,
    client_id: str | None = None,
    on_token: TokenSink | None = None,
    channel: Channel | None = None,
) -> TurnResult:
    """One turn. `channel`: where the member wrote from (the widget unless a channel adapter says)."""
    cid = principal.creator_id
    s = screen(text)
    verdict = s.verdict
    # The query's embedding starts now, before the turn takes a database connection: it overlaps the first
    # round trips, and concurrent turns' queries reach the embedder together (one micro-batched model call)
    # instead of each waiting for a pooled connection first.
    query_vector = asyncio.ensure_future(platform.services.embedder.encode_one(text)) if s.retrieve else None
    try:
        # Phase 1: conversation, idempotency, the user's message, context and retrieval.
        async with platform.db.session(principal.tenant) as db:
            conv, new = await repository.open_for_chat(db, principal, conversation_id, text)
            # A conversation opened by this message has no earlier message to replay and no history.
            stored = await _replay(db, conv.id, client_id) if not new and client_id else None
            if isinstance(stored, TurnResult):
                await _stream_words(stored.reply, on_token)
                return stored
            history = [] if new else await repository.recent_history(platform, db, cid, conv.id)
            channel = _channel(principal, channel)
            user_msg = stored or Message(
                creator_id=cid,
                conversation_id=conv.id,
                role=MessageRole.user,
                sender=MessageSender.member,
                channel=channel,
                content=text,
                client_id=client_id,
            )
            db.add(user_msg)
            waiting = await _program_waiting(db, principal, conv.id, verdict.flagged)
            if waiting is not None and waiting.kind == WaitingFor.answer:
                answered = await _answer_program(platform, db, principal, user_msg, waiting, client_id, on_token)
                if answered is not None:
                    return answered
            if conv.taken_over_by is not None and principal.kind is PrincipalKind.member:
                # A creator holds the conversation: the twin stays silent; the message waits for them.
                return await _held(platform, db, conv, user_msg, verdict)
            persona = await service.speaking(platform, db, principal)
            # The creator's own approved answer to this question (or a paraphrase of it) comes first.
            correction = await corrections.preferred_answer(platform, db, cid, query_vector)
            llm = None if verdict.flagged or correction else await _llm(platform)
            # Only the model's prompt uses the facts; read while the query's embedding is still running.
            facts = await _facts(db, principal) if llm is not None else []
            # The embedding still under way: search's full-text leg runs in PostgreSQL while it finishes.
            hits = []
            null, domain = calibration.UNCALIBRATED, 0.0
            if query_vector is not None and correction is None:
                hits = await search(platform, db, cid, text, TOP_K, query_vector=query_vector)
                if hits:
                    null = await _calibration(platform, db, cid)
                    model = await calibration.domain_model(platform.services.embedder)
                    domain = model.score(await query_vector)
            passages = _passages(hits)
            decision = decide(s, domain, hits, null)
            grounded = correction is not None or decision.grounded
            await db.commit()
    finally:
        if query_vector is not None and not query_vector.done():
            query_vector.cancel()  # a replayed message or a failure: nobody needs the vector
    conv_id, user_id = conv.id, user_msg.id
    profile = persona.profile_obj
    address = profile.address_form if profile else "you"

    # Phase 2: the reply, with no database connection held.
    citations: list[dict[str, Any]] = []
    mode = ReplyMode.extractive
    if correction is not None:
        reply, mode, citations = correction.reply(), corrections.MODE, [correction.citation(persona.name)]
        await _stream_words(reply, on_token)
    elif not grounded:
        reply = _plain_reply(s, decision, persona, address)
        await _stream_words(reply, on_token)
    else:
        focus = waiting.focus if waiting is not None else None
        lead = acknowledge(s.moment, address) if s.moment else None
        reply, mode, used = await _generate(llm, persona, facts, history, text, hits, passages, on_token, focus, lead)
        citations = [_citation(hits[i]) for i in used]

    # Phase 3: store the reply and what the twin learned (its consistency score follows, off this path).
    async with platform.db.session(principal.tenant) as db:
        answer = Message(
            creator_id=cid,
            conversation_id=conv_id,
            role=MessageRole.assistant,
            sender=MessageSender.twin,
            channel=channel,
            content=reply,
            mode=mode,
            grounded=grounded,
            citations=citations,
            safety=verdict.risk if verdict.flagged else None,
            client_id=f"re:{client_id}" if client_id else None,
        )
        touched: dict[str, Any] = {"updated_at": datetime.now(UTC)}
        if verdict.flagged:
            touched.update(flagged=True, flag_reason=f"safety: {verdict.risk} ({verdict.reason})")
        touch = update(Conversation).where(col(Conversation.id) == conv_id).values(**touched).cte("touched")
        await db.execute(insert(Message).values(**answer.model_dump()).add_cte(touch))  # one round trip for both
        if principal.kind is PrincipalKind.member:
            await _learn(db, principal, text, user_id)
        twin_turn = waiting is not None and waiting.kind == WaitingFor.twin  # a turn of the program's twin exchange
        step = await inbox.deliver(db, waiting, text, f"chat:{user_id}") if twin_turn and waiting else None
        await db.commit()
    if step is not None:
        await _kick_timers(platform, step)
    await repository.remember(platform, cid, conv_id, [("user", text), ("assistant", reply)])
    if not verdict.flagged:
        platform.services.scorer.submit(Reply(cid, answer.id, reply, profile))
    return TurnResult(
        conversation_id=conv_id,
        message_id=answer.id,
        user_message_id=user_id,
        reply=reply,
        mode=mode,
        grounded=grounded,
        citations=citations,
        consistency=None,  # scored after the reply (backend/twin/consistency.py)
        safety=verdict.risk if verdict.flagged else None,
        flagged=verdict.flagged,
        extra={"program": inbox.step_out(step)} if step is not None else {},
    )


def _channel(principal: Principal, channel: Channel | None) -> Channel:
    if channel is not None:
        return channel
    return Channel.web if principal.kind is PrincipalKind.member else Channel.hub


async def _held(
    platform: Platform, db: AsyncSession, conv: Conversation, user_msg: Message, verdict: Any
) -> TurnResult:
    """Store the member's message in a conversation a creator holds; no reply (they answer themselves)."""
    touched: dict[str, Any] = {"updated_at": datetime.now(UTC)}
    if verdict.flagged:
        touched.update(flagged=True, flag_reason=f"safety: {verdict.risk} ({verdict.reason})")
    await db.execute(update(Conversation).where(col(Conversation.id) == conv.id).values(**touched))
    await db.commit()
    await repository.remember(platform, conv.creator_id, conv.id, [("user", user_msg.content)])
    return TurnResult(
        conversation_id=conv.id,
        message_id=user_msg.id,
        user_message_id=user_msg.id,
        reply="",
        mode=ReplyMode.human,
        grounded=False,
        citations=[],
        consistency=None,
        safety=verdict.risk if verdict.flagged else None,
        flagged=verdict.flagged,
        extra={"held": True},
    )


async def _program_waiting(
    db: AsyncSession, principal: Principal, conversation_id: uuid.UUID, flagged: bool
) -> inbox.Waiting | None:
    """The program step this member's message may answer (never a message that signals risk)."""
    if principal.kind is not PrincipalKind.member or flagged:
        return None
    return await inbox.waiting_on(db, principal.subject_id, conversation_id)


async def _answer_program(
    platform: Platform,
    db: AsyncSession,
    principal: Principal,
    user_msg: Message,
    waiting: inbox.Waiting,
    client_id: str | None,
    on_token: TokenSink | None,
) -> TurnResult | None:
    """The message answers the check-in the member's program waits on: acknowledge it; the program's next
    messages follow in the conversation (and in the result). None when it is not an answer."""
    receipt = Message(
        creator_id=principal.creator_id,
        conversation_id=user_msg.conversation_id,
        role=MessageRole.assistant,
        sender=MessageSender.program,
        channel=user_msg.channel,
        content=inbox.RECEIPT,
        mode=ReplyMode.program,
        grounded=True,
        client_id=f"re:{client_id}" if client_id else None,
    )  # built before the step, so it sorts before the program's next messages
    step = await inbox.deliver(db, waiting, user_msg.content, f"chat:{user_msg.id}")
    if step is None:
        return None
    db.add(receipt)
    await db.commit()
    await _kick_timers(platform, step)
    await _stream_words(receipt.content, on_token)
    turn = [("user", user_msg.content), ("assistant", receipt.content), *(("assistant", m) for m in step.messages)]
    await repository.remember(platform, principal.creator_id, user_msg.conversation_id, turn)
    return TurnResult(
        conversation_id=user_msg.conversation_id,
        message_id=receipt.id,
        user_message_id=user_msg.id,
        reply=receipt.content,
        mode=ReplyMode.program,
        grounded=True,
        citations=[],
        consistency=None,
        extra={"program": inbox.step_out(step)},
    )


async def _kick_timers(platform: Platform, step: StepResult) -> None:
    for due in step.timers:
        await kick(platform, due)


async def _llm(platform: Platform) -> LLM | None:
    """The LLM client when it answers now (its status is cached), else None: the reply is extractive."""
    llm = platform.services.llm
    return llm if (await llm.status()).mode == "llm" else None


async def _generate(
    llm: Any,
    persona: service.Speaking,
    facts: list[tuple[str, str]],
    history: list[tuple[str, str]],
    question: str,
    hits: list[Hit],
    passages: list[Passage],
    on_token: TokenSink | None,
    focus: tuple[str, str] | None = None,
    lead: str | None = None,
) -> tuple[str, ReplyMode, list[int]]:
    """(reply, mode, indexes of the hits it cites). LLM when it answers, extractive otherwise. `focus`:
    (program, topic) of the twin exchange the member is in; `lead`: a warm first line in a hard moment."""
    sent_lead = False
    if llm is not None:
        sources = [Source(p.id, p.document_title, format_location(p.location), p.text) for p in passages]
        messages = assemble(
            name=persona.name,
            card=persona.card,
            principles=persona.principles,
            sources=sources,
            facts=facts,
            history=history,
            question=question,
            focus=focus,
        )
        parts: list[str] = []
        if lead:  # the acknowledgement goes first, whatever the model says next
            sent_lead = True
            if on_token is not None:
                await on_token(lead + "\n\n")
        try:
            async for delta in llm.stream_chat(messages):
                parts.append(delta)
                if on_token is not None:
                    await on_token(delta)
        except LLMUnavailable:
            if parts:  # the model died mid-reply: keep what it said, it is still grounded in the sources
                log.warning("llm_stream_broken", chars=sum(map(len, parts)))
        if parts:
            reply = "".join(parts).strip()
            cited = sorted({int(n) - 1 for n in _CITE.findall(reply) if 0 < int(n) <= len(hits)})
            return (f"{lead}\n\n{reply}" if lead else reply), ReplyMode.llm, cited or [0]
    reply, used = compose_extractive(question, passages, persona.profile_obj, lead=None if sent_lead else lead)
    await _stream_words(reply, on_token)
    if sent_lead:  # the model died before its first word, after the acknowledgement was sent
        reply = f"{lead}\n\n{reply}"
    index = {p.id: i for i, p in enumerate(passages)}
    return reply, ReplyMode.extractive, [index[p.id] for p in used if p.id in index] or [0]


async def _facts(db: AsyncSession, principal: Principal) -> list[tuple[str, str]]:
    if principal.kind is not PrincipalKind.member:
        return []
    rows = await db.execute(
        select(MemberFact.kind, MemberFact.text)  # type: ignore[call-overload]
        .where(col(MemberFact.member_id) == principal.subject_id)
        .order_by(col(MemberFact.created_at).desc())
        .limit(8)
    )
    return [(r[0], r[1]) for r in rows]


async def _learn(db: AsyncSession, principal: Principal, text: str, message_id: uuid.UUID) -> None:
    for fact in extract_facts(text):
        await db.execute(
            insert(MemberFact)
            .values(
                id=uuid.uuid4(),
                creator_id=principal.creator_id,
                member_id=principal.subject_id,
                kind=fact.kind,
                text=fact.text,
                source_message_id=message_id,
            )
            .on_conflict_do_nothing()
        )
