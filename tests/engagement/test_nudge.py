"""A twin nudge is written by the twin's own grounded path: quoted from the creator's book and cited; a topic
the book does not speak to gets a plain check-in with no advice and no citation."""

from __future__ import annotations

import json
import uuid
from typing import Any

import asyncpg
from litestar.testing import AsyncTestClient

from tests.chat.conftest import seneca
from tests.engagement.conftest import add_member, add_trigger, decisions, run_pass
from tests.engagement.test_scheduler import local_noon, sent_messages
from tests.programs.conftest import stop_app_worker

__all__ = ["seneca"]


async def test_twin_nudge_is_grounded_and_cited(
    client: AsyncTestClient[Any], seneca: dict[str, Any], admin_conn: asyncpg.Connection
) -> None:
    await stop_app_worker(client)
    m = await add_member(client, seneca, "nudged")
    topic = "Why does life feel so short, and am I wasting my time?"
    t = await add_trigger(
        client,
        seneca,
        name="quiet 3 days",
        kind="inactivity",
        params={"days": 3},
        action={"type": "twin_nudge", "topic": topic},
        audience={"channel": "web"},
        max_per_day=5,
    )
    off = await add_trigger(
        client,
        seneca,
        name="tax",
        kind="inactivity",
        params={"days": 3},
        action={"type": "twin_nudge", "topic": "How do I file my quarterly VAT tax return?"},
        max_per_day=5,
        cooldown_hours=0,
    )
    stats = await run_pass(client, seneca["workspace_id"], local_noon(4))
    assert stats.decided.get("sent", 0) >= 2
    rows = {r["content"]: r for r in await sent_messages(admin_conn, m["id"])}
    grounded = [r for r in rows.values() if r["mode"] == "extractive"]
    assert len(grounded) == 1
    cites = json.loads(grounded[0]["citations"])
    assert cites and cites[0]["document_id"] == seneca["document_id"]
    plain = [c for c in rows if "VAT" in c]
    assert len(plain) == 1 and rows[plain[0]]["mode"] is None
    sent = [d for d in await decisions(client, seneca, member_id=m["id"]) if d["trigger_id"] == t["id"]]
    assert sent[0]["outcome"] == "sent" and uuid.UUID(sent[0]["message_id"])
    assert off["id"]
