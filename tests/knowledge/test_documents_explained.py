"""Knowledge that explains itself (issue 20): titles made from file names, the same content or name refused
with the way out (replace, or keep both), a document's passages in reading order and opened at a citation."""

from __future__ import annotations

from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from backend.knowledge.service import readable_title
from tests.knowledge.helpers import upload, wait_done

pytestmark = pytest.mark.slow  # loads the embedding model

LETTER = (
    b"# On the shortness of life\n\nIt is not that we have a short time to live, but that we waste a lot of it. "
    b"Life is long enough, and a sufficiently generous amount has been given to us for the highest achievements "
    b"if it were all well invested.\n\n# On busy people\n\nNo one is less a living person than the busy man. "
    b"Learning how to live takes a whole life.\n"
)


def test_titles_from_file_names_read_as_titles() -> None:
    assert readable_title("on_the_shortness_of_life.txt") == "On the Shortness of Life"
    assert readable_title("letters.from.a.stoic.md") == "Letters from a Stoic"
    assert readable_title("coaching-notes.pdf") == "Coaching Notes"
    assert readable_title("Meditations - Book II.pdf") == "Meditations - Book II"  # its own capitals are kept
    assert readable_title(".txt") == "Untitled"


async def test_same_content_or_name_asks_first(client: AsyncTestClient[Any], creator: dict[str, Any]) -> None:
    h = creator["headers"]
    first = await upload(client, h, "on_the_shortness_of_life.md", LETTER)
    assert first.status_code == 202, first.text
    doc = (await client.get(f"/api/v1/knowledge/documents/{first.json()['id']}", headers=h)).json()
    assert doc["title"] == "On the Shortness of Life"

    again = await upload(client, h, "seneca-copy.md", LETTER)
    assert again.status_code == 409, again.text
    body = again.json()
    assert body["error"] == "conflict" and body["reason"] == "duplicate_content"
    assert body["existing_id"] == doc["id"] and "On the Shortness of Life" in body["detail"]

    renamed = await upload(client, h, "on_the_shortness_of_life.md", LETTER + b"\nA new last line.\n")
    assert renamed.status_code == 409 and renamed.json()["reason"] == "same_name"

    kept = await upload(client, h, "seneca-copy.md", LETTER, if_exists="keep_both")
    assert kept.status_code == 202, kept.text
    listed = (await client.get("/api/v1/knowledge/documents", headers=h)).json()
    assert sorted(d["title"] for d in listed) == ["On the Shortness of Life", "Seneca Copy"]


async def test_passages_in_reading_order_and_at_a_citation(
    client: AsyncTestClient[Any], creator: dict[str, Any], other_creator: dict[str, Any]
) -> None:
    h = creator["headers"]
    doc_id = (await upload(client, h, "letter.md", LETTER)).json()["id"]
    assert (await wait_done(client, h, doc_id))["status"] == "ready"
    r = await client.get(f"/api/v1/knowledge/documents/{doc_id}/passages", headers=h)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["offset"] == 0 and body["total"] == len(body["passages"]) >= 1
    assert [p["ordinal"] for p in body["passages"]] == sorted(p["ordinal"] for p in body["passages"])
    assert "waste a lot of it" in " ".join(p["text"] for p in body["passages"])

    hits = (await client.get("/api/v1/knowledge/search", headers=h, params={"q": "busy people"})).json()["results"]
    cited = hits[0]["chunk_id"]
    r = await client.get(f"/api/v1/knowledge/documents/{doc_id}/passages", headers=h, params={"around": cited})
    assert cited in [p["id"] for p in r.json()["passages"]]

    # Another workspace cannot read them, even knowing the ids.
    other = other_creator["headers"]
    assert (await client.get(f"/api/v1/knowledge/documents/{doc_id}/passages", headers=other)).status_code == 404
    r = await client.get(f"/api/v1/knowledge/documents/{doc_id}/passages", headers=h, params={"around": doc_id})
    assert r.status_code == 404 and set(r.json()) >= {"error", "detail"}
