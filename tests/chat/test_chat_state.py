"""What a turn leaves behind and what it reads from caches: the reply's consistency score (stored by a job
after the reply), the persona that speaks (cached per tenant, reloaded after approval or a rename) and the
conversation history (cached per tenant). No tenant reads another's cache."""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from backend.lib.platform import Platform
from backend.lib.principal import authenticate
from backend.twin import repository, service
from tests.chat.conftest import member_token
from tests.conftest import register_and_login
from tests.programs.conftest import platform  # noqa: F401 - fixture: a platform of this test's event loop

pytestmark = pytest.mark.slow


async def scored(client: AsyncTestClient[Any], staff: dict[str, Any], conv_id: str, message_id: str) -> float:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        r = await client.get(f"/api/v1/conversations/{conv_id}", headers=staff["headers"])
        assert r.status_code == 200, r.text
        (reply,) = [m for m in r.json()["messages"] if m["id"] == message_id]
        if reply["consistency"] is not None:
            return float(reply["consistency"])
        await asyncio.sleep(0.1)
    raise AssertionError("the reply was never scored")


async def test_consistency_is_stored_after_the_reply(client: AsyncTestClient[Any], seneca: dict[str, Any]) -> None:
    r = await client.post(
        "/api/v1/chat", headers=seneca["member"]["headers"], json={"message": "Why do busy people never live?"}
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["grounded"] is True and body["consistency"] is None  # not on the reply's path
    score = await scored(client, seneca, body["conversation_id"], body["message_id"])
    assert 0.0 <= score <= 1.0
    # The review of the weakest replies sees it (unless 100 weaker ones come first).
    r = await client.get("/api/v1/twin/consistency/weakest", headers=seneca["headers"], params={"limit": 100})
    weakest = r.json()
    assert [w["consistency"] for w in weakest] == sorted(w["consistency"] for w in weakest)
    mine = [w for w in weakest if w["message_id"] == body["message_id"]]
    if mine:
        assert mine[0]["consistency"] == score
    else:
        assert len(weakest) == 100 and score >= weakest[-1]["consistency"]


async def workspace_with_member(client: AsyncTestClient[Any], name: str, card: str | None) -> dict[str, Any]:
    staff = await register_and_login(client, name)
    if card is not None:
        r = await client.put("/api/v1/twin/persona", headers=staff["headers"], json={"card": card, "approve": True})
        assert r.status_code == 200 and r.json()["status"] == "approved", r.text
    staff["member"] = await member_token(client, staff, f"{name}-member")
    return staff


async def test_speaking_persona_is_cached_per_tenant(
    client: AsyncTestClient[Any],
    platform: Platform,  # noqa: F811
) -> None:
    a = await workspace_with_member(client, "cache-a", "Alpha's card.")
    b = await workspace_with_member(client, "cache-b", None)
    pa = await authenticate(platform, a["member"]["token"])
    pb = await authenticate(platform, b["member"]["token"])

    async def speaking(principal: Any) -> service.Speaking:
        async with platform.db.session(principal.tenant) as db:
            return await service.speaking(platform, db, principal)

    first = await speaking(pa)
    assert first.card == "Alpha's card." and first.version == 1
    assert await speaking(pa) is first  # the second turn reads the cache
    # B's turn, right after A's persona was cached: B's own default, never A's.
    other = await speaking(pb)
    assert other.version is None and other.card == service.DEFAULT_CARD and "cache-b" in other.name

    # Approving a new version (through the API: committed, then the caches told) is heard at once.
    r = await client.put("/api/v1/twin/persona", headers=a["headers"], json={"card": "Alpha, v2.", "approve": True})
    assert r.status_code == 200, r.text
    assert (await speaking(pa)).card == "Alpha, v2."
    # A draft is heard in the playground (staff hear the newest version), not by members.
    r = await client.put("/api/v1/twin/persona", headers=a["headers"], json={"card": "Alpha draft."})
    staff_a = await authenticate(platform, a["access_token"])
    assert (await speaking(staff_a)).card == "Alpha draft."
    assert (await speaking(pa)).card == "Alpha, v2."
    # The default persona speaks as the workspace: a rename is heard too.
    r = await client.patch("/api/v1/workspace/", headers=b["headers"], json={"name": "Renamed B"})
    assert r.status_code == 200, r.text
    assert (await speaking(pb)).name == "Renamed B"


async def test_history_cache_is_per_tenant(client: AsyncTestClient[Any], platform: Platform) -> None:  # noqa: F811
    a = await workspace_with_member(client, "history-a", None)
    b = await workspace_with_member(client, "history-b", None)
    pa = await authenticate(platform, a["member"]["token"])
    pb = await authenticate(platform, b["member"]["token"])
    r = await client.post("/api/v1/chat", headers=a["member"]["headers"], json={"message": "My goal is to rest."})
    conv = uuid.UUID(r.json()["conversation_id"])
    async with platform.db.session(pa.tenant) as db:
        own = await repository.recent_history(platform, db, pa.creator_id, conv)
    assert own and own[0] == ("user", "My goal is to rest.")
    # B names A's conversation: B's key is not A's, and B's database session cannot see A's rows.
    async with platform.db.session(pb.tenant) as db:
        assert await repository.recent_history(platform, db, pb.creator_id, conv) == []
