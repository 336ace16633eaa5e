"""Renaming and retagging a document (PATCH), which answered 500 (MissingGreenlet) on every call."""

from __future__ import annotations

from typing import Any

from litestar.testing import AsyncTestClient

from tests.conftest import register_and_login
from tests.knowledge.helpers import upload


async def test_rename_and_retag_a_document(client: AsyncTestClient[Any]) -> None:
    owner = await register_and_login(client, "rename")
    r = await upload(client, owner["headers"], "notes.txt", b"Plain words about patience and practice.", tags="a")
    assert r.status_code == 202, r.text
    url = f"/api/v1/knowledge/documents/{r.json()['id']}"
    before = (await client.get(url, headers=owner["headers"])).json()
    for body in ({"title": "Renamed"}, {"tags": ["Stoic", "letters"]}, {"title": "Both", "tags": []}):
        r = await client.patch(url, headers=owner["headers"], json=body)
        assert r.status_code == 200, r.text
    out = r.json()
    assert out["title"] == "Both" and out["tags"] == []
    assert out["updated_at"] > before["updated_at"]
    assert (await client.get(url, headers=owner["headers"])).json()["title"] == "Both"
    r = await client.patch(url, headers=owner["headers"], json={"title": ""})
    assert r.status_code == 422, r.text
