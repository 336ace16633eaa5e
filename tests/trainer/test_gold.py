"""The gold set over HTTP: add, list, edit, delete; bad input; roles; isolation. No model needed."""

from __future__ import annotations

import uuid
from typing import Any

from litestar.testing import AsyncTestClient

from tests.auth.test_team import join

GOLD = "/api/v1/twin/gold"


async def test_gold_set_add_list_edit_delete(client: AsyncTestClient[Any], creator: dict[str, Any]) -> None:
    h = creator["headers"]
    r = await client.post(GOLD, headers=h, json={"question": " What is in my power? ", "answer": "My judgements."})
    assert r.status_code == 201, r.text
    first = r.json()
    assert first["question"] == "What is in my power?" and first["must_cite_document_id"] is None
    r = await client.post(GOLD, headers=h, json={"question": "How do I begin the day?", "answer": "Expect rudeness."})
    second = r.json()
    listed = (await client.get(GOLD, headers=h)).json()
    assert [g["id"] for g in listed] == [first["id"], second["id"]]

    r = await client.put(f"{GOLD}/{second['id']}", headers=h, json={"question": "How to start?", "answer": "Early."})
    assert r.status_code == 200 and r.json()["question"] == "How to start?"
    assert (await client.delete(f"{GOLD}/{first['id']}", headers=h)).status_code == 204
    assert (await client.delete(f"{GOLD}/{first['id']}", headers=h)).status_code == 404
    assert [g["id"] for g in (await client.get(GOLD, headers=h)).json()] == [second["id"]]


async def test_bad_input_is_a_clear_4xx(client: AsyncTestClient[Any], creator: dict[str, Any]) -> None:
    h = creator["headers"]
    bad = [
        {"question": "", "answer": "x"},
        {"question": "q"},
        {"question": "q", "answer": "a", "extra": 1},
        {"question": "q" * 2001, "answer": "a"},
        {"question": "q", "answer": "a", "must_cite_document_id": "x"},
    ]
    for body in bad:
        r = await client.post(GOLD, headers=h, json=body)
        assert r.status_code in (400, 422), (body, r.text)
        assert set(r.json()) >= {"error", "detail"}
    r = await client.post(
        GOLD, headers=h, json={"question": "q", "answer": "a", "must_cite_document_id": str(uuid.uuid4())}
    )
    assert r.status_code == 422 and "must_cite_document_id" in r.json()["detail"]
    r = await client.post(
        GOLD,
        headers=h,
        content=b"{not json",
    )
    assert r.status_code == 400
    # An evaluation of an empty gold set is refused, with nothing queued.
    r = await client.post("/api/v1/twin/evaluations", headers=h, json={})
    assert r.status_code == 409 and r.json()["error"] == "conflict"
    assert (await client.get("/api/v1/twin/evaluations", headers=h)).json() == []
    assert (await client.get(f"/api/v1/twin/evaluations/{uuid.uuid4()}", headers=h)).status_code == 404


async def test_viewers_read_editors_write(client: AsyncTestClient[Any], creator: dict[str, Any]) -> None:
    viewer = await join(client, creator, "viewer")
    editor = await join(client, creator, "editor")
    r = await client.post(GOLD, headers=editor["headers"], json={"question": "q?", "answer": "a."})
    assert r.status_code == 201
    gold_id = r.json()["id"]
    assert len((await client.get(GOLD, headers=viewer["headers"])).json()) == 1
    assert (
        await client.post(GOLD, headers=viewer["headers"], json={"question": "q", "answer": "a"})
    ).status_code == 403
    assert (await client.delete(f"{GOLD}/{gold_id}", headers=viewer["headers"])).status_code == 403
    assert (await client.post("/api/v1/twin/evaluations", headers=viewer["headers"], json={})).status_code == 403
    assert (await client.get("/api/v1/twin/evaluations", headers=viewer["headers"])).status_code == 200


async def test_gold_sets_never_cross_workspaces(
    client: AsyncTestClient[Any], creator: dict[str, Any], other_creator: dict[str, Any]
) -> None:
    r = await client.post(GOLD, headers=creator["headers"], json={"question": "Mine?", "answer": "Yes."})
    mine = r.json()["id"]
    theirs = other_creator["headers"]
    assert (await client.get(GOLD, headers=theirs)).json() == []
    assert (await client.delete(f"{GOLD}/{mine}", headers=theirs)).status_code == 404
    r = await client.put(f"{GOLD}/{mine}", headers=theirs, json={"question": "x", "answer": "y"})
    assert r.status_code == 404
    assert len((await client.get(GOLD, headers=creator["headers"])).json()) == 1
