"""Knowledge end to end through the API: upload -> background ingestion -> cited search; edit; delete."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from tests.knowledge.helpers import admin_fetch, upload, wait_done

pytestmark = pytest.mark.slow  # loads the embedding model

NOTES = (
    b"# Morning practice\n\nEach morning, before the day begins, write down the three things you can control "
    b"today and the three you cannot. Let go of the second list deliberately.\n\n"
    b"# Evening review\n\nAt night, review the day without anger: where did you act well, where did you slip, "
    b"and what will you do differently tomorrow? Keep this journal short and honest.\n"
)


async def vector_ids(app: Any, creator_id: str) -> set[str]:
    ids: set[str] = await app.state.platform.services.vectors.ids(uuid.UUID(creator_id))
    return ids


async def test_upload_ingest_search_delete(app: Any, client: AsyncTestClient[Any], creator: dict[str, Any]) -> None:
    h = creator["headers"]
    r = await upload(client, h, "practice.md", NOTES, title="Daily practice", tags="habits, Journal")
    assert r.status_code == 202, r.text
    doc_id = r.json()["id"]
    assert r.json()["status"] == "queued"
    done = await wait_done(client, h, doc_id)
    assert done["status"] == "ready", done
    assert done["progress"] == 1.0 and done["chunk_count"] >= 1
    assert done["kind"] == "md" and done["tags"] == ["habits", "journal"]

    r = await client.get("/api/v1/knowledge/search", headers=h, params={"q": "what should I reflect on before bed?"})
    assert r.status_code == 200
    results = r.json()["results"]
    assert results and results[0]["document_id"] == doc_id
    assert results[0]["document_title"] == "Daily practice"
    assert "review the day" in results[0]["text"]
    assert results[0]["location"].get("heading") == "Evening review"

    rows = await admin_fetch("SELECT id::text FROM chunks WHERE document_id = $1", uuid.UUID(doc_id))
    assert {r[0] for r in rows} == await vector_ids(app, creator["workspace_id"])

    r = await client.get("/api/v1/knowledge/documents", headers=h, params={"tag": "journal"})
    assert [d["id"] for d in r.json()] == [doc_id]
    r = await client.get("/api/v1/knowledge/documents", headers=h, params={"tag": "other"})
    assert r.json() == []

    r = await client.delete(f"/api/v1/knowledge/documents/{doc_id}", headers=h)
    assert r.status_code == 204
    assert await admin_fetch("SELECT 1 FROM chunks WHERE document_id = $1", uuid.UUID(doc_id)) == []
    assert await admin_fetch("SELECT 1 FROM document_files WHERE document_id = $1", uuid.UUID(doc_id)) == []
    assert await vector_ids(app, creator["workspace_id"]) == set()
    assert (await client.get(f"/api/v1/knowledge/documents/{doc_id}", headers=h)).status_code == 404


async def test_replace_with_new_version(app: Any, client: AsyncTestClient[Any], creator: dict[str, Any]) -> None:
    h = creator["headers"]
    doc_id = (
        await upload(client, h, "v1.txt", b"Courage is a habit you build by small daily acts of facing fear.")
    ).json()["id"]
    assert (await wait_done(client, h, doc_id))["status"] == "ready"
    r = await client.put(
        f"/api/v1/knowledge/documents/{doc_id}",
        headers=h,
        files={"file": ("v2.txt", b"Patience grows when you wait without complaint for what you cannot hurry.")},
    )
    assert r.status_code == 202, r.text
    done = await wait_done(client, h, doc_id)
    assert done["status"] == "ready" and done["version"] == 2
    texts = [r[0] for r in await admin_fetch("SELECT text FROM chunks WHERE document_id = $1", uuid.UUID(doc_id))]
    assert texts and all("Patience" in t for t in texts)
    rows = await admin_fetch("SELECT id::text FROM chunks WHERE document_id = $1", uuid.UUID(doc_id))
    assert {r[0] for r in rows} == await vector_ids(app, creator["workspace_id"])


@pytest.mark.parametrize(
    ("name", "data", "status"),
    [
        ("image.txt", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8, 415),
        ("junk.txt", bytes(range(256)) * 40, 415),
        ("empty.txt", b"", 422),
    ],
)
async def test_bad_files_refused_before_anything_is_written(
    client: AsyncTestClient[Any], creator: dict[str, Any], name: str, data: bytes, status: int
) -> None:
    r = await upload(client, creator["headers"], name, data)
    assert r.status_code == status, r.text
    assert set(r.json()) >= {"error", "detail"}
    rows = await admin_fetch("SELECT 1 FROM documents WHERE creator_id = $1", uuid.UUID(creator["workspace_id"]))
    assert rows == []


async def test_oversized_upload_is_413(client: AsyncTestClient[Any], creator: dict[str, Any]) -> None:
    r = await upload(client, creator["headers"], "big.txt", b"a" * (26 * 1024 * 1024))
    assert r.status_code == 413
    assert r.json()["error"] == "payload_too_large"


async def test_corrupt_pdf_fails_with_reason_and_leaves_nothing(
    app: Any, client: AsyncTestClient[Any], creator: dict[str, Any]
) -> None:
    broken = b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\nxref\n0 3\ngarbage\ntrailer\n%%EOF"
    r = await upload(client, creator["headers"], "broken.pdf", broken)
    assert r.status_code == 202, r.text
    done = await wait_done(client, creator["headers"], r.json()["id"])
    assert done["status"] == "failed"
    assert done["error"] and "Traceback" not in done["error"]
    assert done["chunk_count"] == 0
    assert await admin_fetch("SELECT 1 FROM chunks WHERE document_id = $1", uuid.UUID(r.json()["id"])) == []
    assert await vector_ids(app, creator["workspace_id"]) == set()


async def test_missing_file_field_and_bad_query(client: AsyncTestClient[Any], creator: dict[str, Any]) -> None:
    r = await client.post("/api/v1/knowledge/documents", headers=creator["headers"], data={"title": "x"})
    assert 400 <= r.status_code < 500 and "error" in r.json()
    r = await client.get("/api/v1/knowledge/search", headers=creator["headers"], params={"q": "x", "k": 500})
    assert r.status_code in (400, 422) and "error" in r.json()
    r = await client.get("/api/v1/knowledge/documents/not-a-uuid", headers=creator["headers"])
    assert r.status_code in (400, 404)


RERANK = (
    b"# The lighthouse\n\nThe lighthouse stands on the rocks at the mouth of the harbour, white and tall above the "
    b"waves. At night its beam sweeps the dark water and ships steer by it. Built two centuries ago, the "
    b"lighthouse has survived storms, fires and a war, and tourists climb it in summer.\n\n"
    b"# Bread\n\nBaking bread at home takes patience: the dough needs warmth, time and a light hand. Knead it for "
    b"ten minutes, then leave it to rise under a damp cloth until it doubles in size. Flour, water, salt and "
    b"yeast are all you need, though some bakers add honey or seeds. Every morning before dawn, the old keeper "
    b"climbs the tower and polishes the lighthouse lens until it shines. A hot oven and a tray of water give "
    b"the loaf a crisp, golden crust.\n"
)


async def test_hybrid_ranks_the_passage_whose_sentence_answers(
    client: AsyncTestClient[Any], creator: dict[str, Any]
) -> None:
    """The vector leg prefers the passage about lighthouses in general; re-ranking by sentence vectors puts
    first the passage with the one sentence that answers, though the rest of it is about bread."""
    h = creator["headers"]
    doc_id = (await upload(client, h, "mixed.md", RERANK)).json()["id"]
    assert (await wait_done(client, h, doc_id))["chunk_count"] == 2
    q = {"q": "Who polishes the lighthouse lens at dawn?", "k": 2}
    vector = (await client.get("/api/v1/knowledge/search", headers=h, params={**q, "mode": "vector"})).json()
    hybrid = (await client.get("/api/v1/knowledge/search", headers=h, params=q)).json()
    assert vector["results"][0]["location"]["heading"] == "The lighthouse"
    assert [r["location"]["heading"] for r in hybrid["results"]] == ["Bread", "The lighthouse"]
    assert hybrid["results"][0]["score"] > hybrid["results"][1]["score"]


async def test_search_with_nothing_indexed_answers_empty(client: AsyncTestClient[Any]) -> None:
    """A new workspace (no collection yet, then an empty one) searches to an empty list in every mode."""
    from tests.conftest import register_and_login

    staff = await register_and_login(client, "empty-search")
    for mode in ("hybrid", "vector", "fulltext", "hybrid"):
        r = await client.get(
            "/api/v1/knowledge/search", params={"q": "what is virtue?", "mode": mode}, headers=staff["headers"]
        )
        assert r.status_code == 200, r.text
        assert r.json()["results"] == []
