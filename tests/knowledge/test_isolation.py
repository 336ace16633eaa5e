"""Two workspaces with knowledge: nothing of one is ever reachable from the other."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from backend.lib.vectors import collection_name
from tests.knowledge.helpers import admin_fetch, upload, wait_done

pytestmark = pytest.mark.slow

A_TEXT = b"The lighthouse keeper polishes the great lens every dawn so ships can find the harbour."
B_TEXT = b"The beekeeper smokes the hive gently and lifts the frames heavy with summer honey."


async def test_documents_and_search_are_isolated(
    app: Any, client: AsyncTestClient[Any], creator: dict[str, Any], other_creator: dict[str, Any]
) -> None:
    a, b = creator["headers"], other_creator["headers"]
    a_doc = (await upload(client, a, "a.txt", A_TEXT)).json()["id"]
    b_doc = (await upload(client, b, "b.txt", B_TEXT)).json()["id"]
    assert (await wait_done(client, a, a_doc))["status"] == "ready"
    assert (await wait_done(client, b, b_doc))["status"] == "ready"

    # A asks about B's topic in B's own words: A's index has nothing of B's.
    r = await client.get("/api/v1/knowledge/search", headers=a, params={"q": "beekeeper hive honey frames", "k": 10})
    assert all(res["document_id"] == a_doc for res in r.json()["results"])
    for mode in ("vector", "fulltext"):
        r = await client.get("/api/v1/knowledge/search", headers=a, params={"q": "beekeeper honey", "mode": mode})
        assert all(res["document_id"] != b_doc for res in r.json()["results"])

    # B's ids through A's token: invisible, and untouched.
    assert [d["id"] for d in (await client.get("/api/v1/knowledge/documents", headers=a)).json()] == [a_doc]
    assert (await client.get(f"/api/v1/knowledge/documents/{b_doc}", headers=a)).status_code == 404
    assert (await client.delete(f"/api/v1/knowledge/documents/{b_doc}", headers=a)).status_code == 404
    r = await client.patch(f"/api/v1/knowledge/documents/{b_doc}", headers=a, json={"title": "stolen"})
    assert r.status_code == 404
    r = await client.put(
        f"/api/v1/knowledge/documents/{b_doc}", headers=a, files={"file": ("x.txt", b"overwrite attempt here")}
    )
    assert r.status_code == 404
    r = await client.get(f"/api/v1/knowledge/documents/{b_doc}", headers=b)
    assert r.json()["title"] == "B" and r.json()["version"] == 1  # the title made from "b.txt", unchanged

    # Each tenant's vectors live in a collection of its own.
    store = app.state.platform.services.vectors
    a_ids = await store.ids(uuid.UUID(creator["workspace_id"]))
    b_ids = await store.ids(uuid.UUID(other_creator["workspace_id"]))
    assert a_ids and b_ids and not (a_ids & b_ids)
    assert collection_name(creator["workspace_id"]) != collection_name(other_creator["workspace_id"])
    owners = await admin_fetch("SELECT DISTINCT creator_id::text FROM chunks WHERE id = ANY($1::uuid[])", list(a_ids))
    assert [o[0] for o in owners] == [creator["workspace_id"]]
