"""Persona studio over the API: synthesize (with progress) -> review -> edit -> approve -> members hear it."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

pytestmark = pytest.mark.slow


async def wait_synthesis(client: AsyncTestClient[Any], headers: dict[str, str], timeout: float = 180) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state: dict[str, Any] = (await client.get("/api/v1/twin/persona", headers=headers)).json()
        if state["synthesis"]["status"] in ("done", "failed"):
            return state
        await asyncio.sleep(0.5)
    raise AssertionError("synthesis did not finish")


async def test_synthesize_edit_approve(client: AsyncTestClient[Any], seneca: dict[str, Any]) -> None:
    h = seneca["headers"]
    r = await client.post("/api/v1/twin/persona/synthesize", headers=h)
    assert r.status_code == 202
    state = await wait_synthesis(client, h)
    assert state["synthesis"]["status"] == "done", state["synthesis"]
    current = state["current"]
    assert current["status"] == "draft" and current["source"] == "synthesized"
    profile = current["profile"]
    assert profile["themes"] and all(t["key_phrases"] and t["passages"] for t in profile["themes"])
    assert profile["voice"]["avg_sentence_len"] > 5
    assert profile["signature_phrases"], "no distinctive phrases against the generic background"
    assert current["card"] and current["principles"]
    assert state["approved_version"] is None

    # Edit: a new version, the old one kept.
    r = await client.put(
        "/api/v1/twin/persona",
        headers=h,
        json={
            "card": current["card"] + "\n\nAlways end with one concrete step.",
            "principles": current["principles"][:3],
        },
    )
    assert r.status_code == 200, r.text
    edited = r.json()
    assert edited["version"] == current["version"] + 1 and edited["source"] == "edited"
    assert edited["profile"] == profile  # the measured voice carries over

    r = await client.post(f"/api/v1/twin/persona/versions/{edited['version']}/approve", headers=h)
    assert r.status_code == 200 and r.json()["status"] == "approved"
    state = (await client.get("/api/v1/twin/persona", headers=h)).json()
    assert state["approved_version"] == edited["version"]
    assert [v["status"] for v in state["versions"]][:2] == ["approved", "draft"]

    # Members now hear the approved persona: its address form frames the extractive reply.
    member = seneca["member"]["headers"]
    r = await client.post("/api/v1/chat", headers=member, json={"message": "Why is life so short?"})
    assert r.status_code == 200 and r.json()["grounded"] is True


async def test_persona_guards_and_isolation(client: AsyncTestClient[Any], seneca: dict[str, Any]) -> None:
    from tests.conftest import register_and_login

    stranger = await register_and_login(client, "persona-stranger")
    state = (await client.get("/api/v1/twin/persona", headers=stranger["headers"])).json()
    assert state["current"] is None and state["versions"] == []
    r = await client.post("/api/v1/twin/persona/versions/1/approve", headers=stranger["headers"])
    assert r.status_code == 404
    # Synthesizing with no knowledge fails with a reason a person understands.
    assert (await client.post("/api/v1/twin/persona/synthesize", headers=stranger["headers"])).status_code == 202
    state = await wait_synthesis(client, stranger["headers"])
    assert state["synthesis"]["status"] == "failed" and "Upload knowledge" in state["synthesis"]["error"]
    # Members cannot touch the persona.
    r = await client.put("/api/v1/twin/persona", headers=seneca["member"]["headers"], json={"card": "x"})
    assert r.status_code == 403
