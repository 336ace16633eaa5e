"""A workspace with a real ingested corpus (Seneca, On the Shortness of Life), members and tokens."""

from __future__ import annotations

from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from tests.conftest import register_and_login
from tests.corpora import CORPORA
from tests.knowledge.helpers import upload, wait_done


async def member_token(client: AsyncTestClient[Any], staff: dict[str, Any], external_id: str) -> dict[str, Any]:
    r = await client.post(
        "/api/v1/members", headers=staff["headers"], json={"external_id": external_id, "display_name": external_id}
    )
    assert r.status_code == 201, r.text
    member = r.json()
    r = await client.post(f"/api/v1/members/{member['id']}/token", headers=staff["headers"])
    assert r.status_code == 201, r.text
    return {"id": member["id"], "headers": {"Authorization": f"Bearer {r.json()['token']}"}, "token": r.json()["token"]}


@pytest.fixture(scope="session")
async def seneca(app: Any) -> dict[str, Any]:
    """Built once per session: ingestion of a real book takes a few seconds."""
    async with AsyncTestClient(app=app) as client:
        staff = await register_and_login(client, "seneca")
        data = (CORPORA / "on_the_shortness_of_life.txt").read_bytes()
        r = await upload(
            client, staff["headers"], "on_the_shortness_of_life.txt", data, title="On the Shortness of Life"
        )
        assert r.status_code == 202, r.text
        done = await wait_done(client, staff["headers"], r.json()["id"], timeout=300)
        assert done["status"] == "ready", done
        staff["document_id"] = done["id"]
        staff["member"] = await member_token(client, staff, "lucilius")
        staff["member2"] = await member_token(client, staff, "paulinus")
    return staff
