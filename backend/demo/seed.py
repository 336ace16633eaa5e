"""`coachtwin demo`: a workspace with weeks of simulated history a creator can explore.

The "Stoic morning" template, published in two versions under an A/B experiment (backend/demo/outcomes.py), runs
for a cohort of members over the last `days` days through the real runtime (backend/demo/simulation.py), with an
engagement trigger that nudges members who missed two mornings (a fifth held out), and some members' questions to
the twin with their thumbs (backend/demo/twin.py); the analytics rollups are refreshed at the end.
Refuses, changing nothing, when the account or the workspace already holds the demo.
"""

from __future__ import annotations

import asyncio
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import insert, text
from sqlalchemy.orm.attributes import flag_modified

from backend.demo import material, outcomes, simulation, twin, workspace
from backend.demo.cohort import Person, Script
from backend.engagement import service as engagement
from backend.engagement.schemas import TriggerIn
from backend.lib.platform import Platform
from backend.lib.tenancy import TenantContext
from backend.programs import service as programs
from backend.programs.schemas import ImportIn
from common.enums import TriggerKind
from common.models import Member

TEMPLATE = "stoic-morning"
DEMO_EMAIL = workspace.DEMO_EMAIL
MAX_CHATS = 120  # questions to the twin (each a real chat turn, ~0.3 s)
NUDGE = "{{name}}, the last two mornings passed without you. Tomorrow's passage is short: one question, one minute."


@dataclass
class Options:
    members: int = 500
    days: int = 60
    seed: int = 17
    workspace: uuid.UUID | None = None
    email: str = DEMO_EMAIL
    password: str | None = None
    twin: bool = True
    end: datetime | None = None  # the simulated "now" (default: the real one)


@dataclass
class Report:
    creator_id: uuid.UUID
    program_id: uuid.UUID
    trigger_id: uuid.UUID
    email: str | None
    password: str | None
    counts: simulation.Counts
    twin: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


async def _program(platform: Platform, target: workspace.Target, start: datetime) -> uuid.UUID:
    """The template as a creator imports it, its check-in marked as the program's self-reported metric."""
    async with platform.db.session(TenantContext(target.creator_id)) as db:
        p = await programs.import_program(db, target.owner, ImportIn(template=TEMPLATE))
        for node in p.draft["nodes"]:
            if node["id"] == simulation.CHECKIN:
                node["data"]["metric"] = True  # readiness, 1-5: first vs latest is the program's outcome
        flag_modified(p, "draft")
        await db.flush()
        v = await programs.publish(db, target.owner, p.id)
        await outcomes.experiment(db, target.owner, p, simulation.CHECKIN, start)
        p.created_at = p.updated_at = v.published_at = start
        await db.commit()
        return p.id


async def _trigger(platform: Platform, creator_id: uuid.UUID, program_id: uuid.UUID, start: datetime) -> uuid.UUID:
    rule = TriggerIn(
        name="Missed two mornings",
        kind=TriggerKind.missed_checkin,
        params={"count": 2, "program_id": str(program_id)},
        action={"type": "message", "text": NUDGE},
        audience={"program_id": str(program_id)},
        cooldown_hours=72,
        holdout_percent=20,
        enabled=False,  # on once the simulated weeks are written (see simulation.run)
    )
    async with platform.db.session(TenantContext(creator_id)) as db:
        t = await engagement.create_trigger(db, creator_id, rule)
        t.created_at = t.updated_at = start
        await db.commit()
        return t.id


async def _members(platform: Platform, creator_id: uuid.UUID, people: list[Person]) -> dict[uuid.UUID, Person]:
    rows: list[dict[str, Any]] = [
        {
            "id": uuid.uuid4(),
            "creator_id": creator_id,
            "external_id": p.external_id,
            "display_name": p.name,
            "timezone": p.timezone,
            "last_channel": "web",
            "created_at": p.enroll_at - timedelta(minutes=3),
        }
        for p in people
    ]
    async with platform.db.session(TenantContext(creator_id)) as db:
        await db.execute(insert(Member), rows)
        await db.commit()
    return {row["id"]: p for row, p in zip(rows, people, strict=True)}


_SETTLE = [
    # Activity and conversations follow the simulated messages, not the moment the command ran.
    """UPDATE member_engagement e SET last_active_at = s.last, updated_at = s.last FROM (
         SELECT c.member_id, max(m.created_at) AS last FROM messages m JOIN conversations c ON c.id = m.conversation_id
         WHERE m.sender = 'member' GROUP BY c.member_id) s WHERE s.member_id = e.member_id""",
    """UPDATE members u SET last_seen_at = e.last_active_at FROM member_engagement e WHERE e.member_id = u.id""",
    """UPDATE conversations c SET updated_at = s.last, created_at = least(c.created_at, s.first) FROM (
         SELECT conversation_id, max(created_at) AS last, min(created_at) AS first FROM messages
         GROUP BY conversation_id) s WHERE s.conversation_id = c.id""",
]


async def _settle(platform: Platform, creator_id: uuid.UUID) -> None:
    async with platform.db.session(TenantContext(creator_id)) as db:
        await outcomes.hold_refresh(db, creator_id)
        for statement in _SETTLE:
            await db.execute(text(statement))
        await db.commit()


async def fill(platform: Platform, options: Options, say: Callable[[str], None]) -> Report:
    """Fill the workspace; raises `workspace.Refused` before writing anything when it cannot."""
    began = time.perf_counter()
    end = (options.end or datetime.now(UTC)).replace(microsecond=0)
    start = end - timedelta(days=options.days)
    async with platform.db.session(TenantContext(options.workspace) if options.workspace else None) as db:
        if options.workspace is not None:
            target = await workspace.existing(db, options.workspace)
        else:
            target = await workspace.fresh(platform, db, options.email, options.password, start)
        await db.commit()
    creator_id = target.creator_id
    say(f"workspace {creator_id}: {options.members} members, {options.days} days ({start:%Y-%m-%d} to {end:%Y-%m-%d})")
    program_id = await _program(platform, target, start)
    trigger_id = await _trigger(platform, creator_id, program_id, start)
    script = Script(options.seed)
    people = await _members(platform, creator_id, script.people(options.members, start, end))
    cohort = simulation.Cohort(script, program_id, trigger_id, people)

    def daily(at: datetime, c: simulation.Counts) -> None:
        if (at - start).days % 5 == 0 or at >= end - timedelta(days=1):
            say(f"  day {(at - start).days:>3}: {c.enrolled} enrolled, {c.answers}/{c.questions} check-ins "
                f"answered, {c.left} left, {c.nudged} nudged, {c.held_out} held out")  # fmt: skip

    counts = await simulation.run(
        platform, creator_id, cohort, start, end, daily, lambda db: outcomes.hold_refresh(db, creator_id)
    )
    report = Report(creator_id, program_id, trigger_id, target.email, target.password, counts)
    if options.twin and counts.chats:
        member_of = {id(p): m for m, p in people.items()}
        chats = [(member_of[id(p)], p, at) for p, at in counts.chats if at < end]
        chats = chats[:: max(1, len(chats) // MAX_CHATS)][:MAX_CHATS]  # spread over the weeks, a few minutes at most
        say(f"knowledge: the creator's notebook indexed ({await material.ingest(platform, creator_id)})")
        say(f"twin: {len(chats)} members' questions through the chat turn")
        report.twin = await twin.converse(
            platform, creator_id, script, chats, lambda n: say(f"  {n}/{len(chats)} questions")
        )
    await _settle(platform, creator_id)
    say(f"analytics: rollups refreshed ({await outcomes.refresh(platform, creator_id, end)} changes)")
    report.seconds = time.perf_counter() - began
    return report


def summary(r: Report) -> list[str]:
    c = r.counts
    lines = [
        f"done in {r.seconds:.0f} s: {c.enrolled} members enrolled, {c.answers} of {c.questions} morning check-ins "
        f"answered, {c.left} left the program, {c.nudged} nudged and {c.held_out} held out by the trigger",
        f"workspace {r.creator_id}, program {r.program_id}, trigger {r.trigger_id}",
    ]
    if r.twin:
        lines.append(f"twin: {r.twin['replies']} replies, {r.twin['up']} thumbs up, {r.twin['down']} down, "
                     f"{r.twin['handoffs']} asked for a person")  # fmt: skip
    if r.email:
        lines.append(f"sign in to the hub as {r.email} with password {r.password}, then open Analytics")
    return lines


def main(open_platform: Callable[[], Platform], options: Options) -> int:
    """The command: 0 when filled, 1 when refused (nothing changed)."""

    async def run() -> int:
        platform = open_platform()
        try:
            report = await fill(platform, options, lambda line: print(line, flush=True))
        except workspace.Refused as exc:
            print(f"demo refused: {exc}", file=sys.stderr)
            return 1
        finally:
            await platform.close()
        for line in summary(report):
            print(line)
        return 0

    return asyncio.run(run())
