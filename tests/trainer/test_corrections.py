"""Corrections: editors propose, admins approve; chat then answers the question and its paraphrases with the
creator's own words, quoted and cited, and never an unrelated question or another workspace's member."""

from __future__ import annotations

from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from tests.chat.conftest import member_token

pytestmark = pytest.mark.slow
CORRECTIONS = "/api/v1/twin/corrections"
QUESTION = "What should I do when someone insults me?"
PARAPHRASE = "How should I respond when a person insults me?"
ANSWER = (
    "Ask first whether what they said is true. If it is, learn from it; if it is not, the mistake is theirs, "
    "and it does not touch what is yours: your own judgement."
)


async def ask(client: AsyncTestClient[Any], headers: dict[str, str], message: str) -> dict[str, Any]:
    r = await client.post("/api/v1/chat", headers=headers, json={"message": message})
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def used_correction(body: dict[str, Any]) -> bool:
    return body["mode"] == "correction"


async def test_editors_propose_admins_approve_and_chat_prefers_it(
    client: AsyncTestClient[Any], marcus: dict[str, Any]
) -> None:
    editor, admin, viewer = (marcus[r]["headers"] for r in ("editor", "admin", "viewer"))
    member = marcus["member"]["headers"]
    body = {"question": QUESTION, "answer": ANSWER}
    # Viewers read only; an editor cannot approve, not even at creation.
    assert (await client.post(CORRECTIONS, headers=viewer, json=body)).status_code == 403
    r = await client.post(CORRECTIONS, headers=editor, json={**body, "approved": True})
    assert r.status_code == 403 and r.json()["error"] == "forbidden"
    r = await client.post(CORRECTIONS, headers=editor, json=body)
    assert r.status_code == 201, r.text
    proposed = r.json()
    assert proposed["approved"] is False and proposed["id"]

    # A proposal is not used yet.
    assert not used_correction(await ask(client, member, PARAPHRASE))
    assert (await client.post(f"{CORRECTIONS}/{proposed['id']}/approve", headers=editor)).status_code == 403
    r = await client.post(f"{CORRECTIONS}/{proposed['id']}/approve", headers=admin)
    assert (
        r.status_code == 200 and r.json()["approved"] is True and r.json()["approved_by"] == marcus["admin"]["user_id"]
    )
    listed = (await client.get(CORRECTIONS, headers=viewer, params={"approved": "true"})).json()
    assert [c["id"] for c in listed] == [proposed["id"]]

    # A paraphrase gets the creator's own words, quoted and cited as theirs.
    reply = await ask(client, member, PARAPHRASE)
    assert used_correction(reply) and reply["grounded"] is True, reply
    assert ANSWER in reply["reply"] and reply["reply"].startswith("“")
    [citation] = reply["citations"]
    assert citation["source"] == "correction" and citation["correction_id"] == proposed["id"]
    assert citation["text"] == ANSWER
    # The same question in the playground too; an unrelated question or a near one on another subject: never.
    assert used_correction(await ask(client, marcus["headers"], QUESTION))
    for other in ("What should I do when I feel sad?", "Someone stole from me, what do I do?",
                  "How should I begin each morning?", "What is the best pizza in Rome?"):  # fmt: skip
        assert not used_correction(await ask(client, member, other)), other

    # Deleting it (admins) stops it at once.
    assert (await client.delete(f"{CORRECTIONS}/{proposed['id']}", headers=editor)).status_code == 403
    assert (await client.delete(f"{CORRECTIONS}/{proposed['id']}", headers=admin)).status_code == 204
    assert not used_correction(await ask(client, member, PARAPHRASE))


async def test_an_admin_corrects_a_reply_in_one_step(client: AsyncTestClient[Any], marcus: dict[str, Any]) -> None:
    admin = marcus["admin"]["headers"]
    turn = await ask(client, admin, "Is it worth caring what other people think of me?")
    r = await client.post(
        CORRECTIONS,
        headers=admin,
        json={
            "message_id": turn["message_id"],
            "question": "Is it worth caring what other people think of me?",
            "answer": "Very little. Look to thy own ruling faculty; their opinion is theirs.",
            "approved": True,
        },
    )
    assert r.status_code == 201 and r.json()["approved"] is True and r.json()["message_id"] == turn["message_id"]
    again = await ask(client, marcus["member"]["headers"], "Should I care about other people's opinions of me?")
    assert used_correction(again) and "ruling faculty" in again["reply"]
    # A message that is not a twin reply, or that does not exist, is refused.
    conv = (await client.get(f"/api/v1/conversations/{turn['conversation_id']}", headers=admin)).json()
    user_message = next(m["id"] for m in conv["messages"] if m["role"] == "user")
    body = {"question": "q?", "answer": "a.", "message_id": user_message}
    assert (await client.post(CORRECTIONS, headers=admin, json=body)).status_code == 422
    body["message_id"] = "00000000-0000-4000-8000-000000000000"
    assert (await client.post(CORRECTIONS, headers=admin, json=body)).status_code == 404


async def test_corrections_never_cross_workspaces(
    client: AsyncTestClient[Any], marcus: dict[str, Any], other_creator: dict[str, Any]
) -> None:
    r = await client.post(
        CORRECTIONS, headers=marcus["admin"]["headers"], json={"question": QUESTION, "answer": ANSWER, "approved": True}
    )
    mine = r.json()["id"]
    theirs = other_creator["headers"]
    assert (await client.get(CORRECTIONS, headers=theirs)).json() == []
    assert (await client.post(f"{CORRECTIONS}/{mine}/approve", headers=theirs)).status_code == 404
    assert (await client.delete(f"{CORRECTIONS}/{mine}", headers=theirs)).status_code == 404
    # Their member asking the very question hears their own twin, never Marcus's answer.
    their_member = await member_token(client, other_creator, "stranger")
    reply = await ask(client, their_member["headers"], QUESTION)
    assert not used_correction(reply) and ANSWER not in reply["reply"]
    assert used_correction(await ask(client, marcus["member"]["headers"], QUESTION))
    assert (await client.delete(f"{CORRECTIONS}/{mine}", headers=marcus["admin"]["headers"])).status_code == 204
