"""`GET /api/v1/me`: everything a member's chat and companion page render, in one read.

The twin (name, avatar), the workspace's welcome and starter prompts, the conversation and whether a
creator holds it, the member's current program step (with the open check-in's answers as buttons), their
streak and their goals.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Date, cast, func, literal, select, union
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from backend.channels import messaging
from backend.channels.schemas import Theme
from backend.channels.service import theme_of
from backend.delivery.frames import CheckIn, check_in_meta
from backend.lib.errors import NotAuthenticated
from backend.lib.platform import Platform
from backend.lib.principal import Principal
from backend.lib.streaks import streaks
from backend.me.schemas import (
    Goal,
    MemberRef,
    MemberView,
    ProgramStepView,
    ProgramView,
    Streak,
    Takeover,
    TwinRef,
)
from backend.me.service import utcnow
from backend.programs.graph import Node
from backend.programs.runtime import RUNNING, version_graph
from backend.takeover.service import staff_name
from backend.twin.repository import latest_member_conversation
from backend.widget.schemas import AI_DISCLOSURE
from backend.widget.service import twin_name
from common.enums import Channel, EnrollmentStatus, MessageSender, ProgramEventType, StepOutcome, WaitingFor
from common.models import (
    Achievement,
    Conversation,
    Enrollment,
    Member,
    MemberFact,
    Message,
    Program,
    ProgramEvent,
    WebChannel,
)

STREAK_DAYS = 90


def _label(node: Node) -> str:
    d = node.data
    for key in ("title", "name", "question", "topic", "text"):
        value = d.get(key)
        if isinstance(value, str) and value.strip():
            text = value.strip()
            return text if len(text) <= 120 else text[:117].rsplit(" ", 1)[0] + "..."
    return node.type.replace("_", " ").capitalize()


async def _program(db: AsyncSession, principal: Principal) -> tuple[ProgramView | None, Enrollment | None, Any]:
    row = (
        await db.execute(
            select(Enrollment, col(Program.name))
            .join(Program, col(Program.id) == col(Enrollment.program_id))
            .where(col(Enrollment.member_id) == principal.subject_id, col(Enrollment.status).in_(RUNNING))
            .order_by(col(Enrollment.updated_at).desc())
            .limit(1)
        )
    ).first()
    if row is None:
        return None, None, None
    e, name = row
    graph = await version_graph(db, principal.creator_id, e.version_id)
    state = e.state or {}
    node = graph.nodes.get(str(state.get("node") or ""))
    waiting = state.get("waiting")
    step = ProgramStepView(node_id=node.id, type=node.type, label=_label(node), waiting=waiting) if node else None
    check_in = None
    open_check_in = waiting == WaitingFor.answer and e.status == EnrollmentStatus.active
    if node is not None and node.type == "checkin" and open_check_in:
        meta = check_in_meta({**node.data, "id": node.id}, e.id)
        check_in = CheckIn(**meta)
    view = ProgramView(
        enrollment_id=e.id,
        program_id=e.program_id,
        name=name,
        status=e.status,
        step=step,
        check_in=check_in,
        steps_taken=e.steps,
        enrolled_at=e.enrolled_at,
    )
    return view, e, graph


async def _streak(db: AsyncSession, principal: Principal, tz: str) -> Streak:
    """Days in a row on which the member answered a check-in or wrote, in their own time zone (one missed day
    is forgiven: backend/lib/streaks.py)."""
    since = utcnow() - timedelta(days=STREAK_DAYS)
    zone = literal(tz)
    wrote = (
        select(cast(func.timezone(zone, col(Message.created_at)), Date).label("day"))
        .join(Conversation, col(Conversation.id) == col(Message.conversation_id))
        .where(
            col(Conversation.member_id) == principal.subject_id,
            col(Message.sender) == MessageSender.member.value,
            col(Message.created_at) >= since,
        )
    )
    answered = (
        select(cast(func.timezone(zone, col(ProgramEvent.received_at)), Date).label("day"))
        .join(Enrollment, col(Enrollment.id) == col(ProgramEvent.enrollment_id))
        .where(
            col(Enrollment.member_id) == principal.subject_id,
            col(ProgramEvent.type) == ProgramEventType.answer,
            col(ProgramEvent.outcome) == StepOutcome.applied,
            col(ProgramEvent.received_at) >= since,
        )
    )
    days = set((await db.execute(union(wrote, answered))).scalars())
    today = datetime.now(ZoneInfo(tz)).date()
    found = streaks(days, today)  # the same grace rule as engagement and analytics
    return Streak(current=found.current, best=found.longest, today=today in days)


async def _goals(db: AsyncSession, principal: Principal, enrollment: Enrollment | None, graph: Any) -> list[Goal]:
    reached = (
        await db.execute(
            select(
                col(Achievement.name),
                col(Achievement.node_id),
                col(Achievement.enrollment_id),
                func.min(col(Achievement.achieved_at)),
            )
            .where(col(Achievement.member_id) == principal.subject_id)
            .group_by(col(Achievement.name), col(Achievement.node_id), col(Achievement.enrollment_id))
            .order_by(func.min(col(Achievement.achieved_at)))
        )
    ).all()
    goals = [Goal(name=name, source="program", done=True, achieved_at=at) for name, _, _, at in reached]
    if enrollment is not None and graph is not None:
        done = {node for _, node, e_id, _ in reached if e_id == enrollment.id}
        goals += [
            Goal(name=str(n.data.get("name") or "Goal"), source="program", done=False)
            for n in graph.nodes.values()
            if n.type == "goal" and n.id not in done
        ]
    said = (
        await db.execute(
            select(col(MemberFact.text))
            .where(col(MemberFact.member_id) == principal.subject_id, col(MemberFact.kind) == "goal")
            .order_by(col(MemberFact.created_at).desc())
            .limit(5)
        )
    ).scalars()
    goals += [Goal(name=text, source="member", done=False) for text in said]
    return goals


async def view(platform: Platform, db: AsyncSession, principal: Principal) -> MemberView:
    member = await db.get(Member, principal.subject_id)
    if member is None:  # merged into another member, or removed: the token outlived it
        raise NotAuthenticated("This member session has ended; open a new one")
    web = (
        await db.execute(select(WebChannel).where(col(WebChannel.creator_id) == principal.creator_id))
    ).scalar_one_or_none()
    theme = theme_of(web) if web is not None else Theme()
    conv = await latest_member_conversation(db, principal.subject_id)
    program, enrollment, graph = await _program(db, principal)
    return MemberView(
        member=MemberRef(
            id=member.id,
            display_name=member.display_name,
            identified=member.external_id is not None,
            timezone=member.timezone,
        ),
        twin=TwinRef(name=await twin_name(db, principal.creator_id), avatar_url=theme.avatar_url),
        welcome_message=web.welcome_message if web else "",
        starter_prompts=list(web.starter_prompts) if web else [],
        theme=theme,
        ai_disclosure=AI_DISCLOSURE,
        conversation_id=conv.id if conv else None,
        takeover=Takeover(
            active=conv is not None and conv.taken_over_by is not None,
            by=await staff_name(db, conv.taken_over_by) if conv else None,
            since=conv.taken_over_at if conv else None,
            handoff_requested_at=conv.handoff_requested_at if conv else None,
        ),
        program=program,
        streak=await _streak(db, principal, member.timezone),
        goals=await _goals(db, principal, enrollment, graph),
        channels=["telegram"] if await messaging.connection(platform, principal.creator_id, Channel.telegram) else [],
    )
