"""Invitations (defect 1): the link goes by email only; an existing account joins only while signed in as
itself; the accept flow is no password oracle; attempts are rate limited."""

from __future__ import annotations

from typing import Any

import redis.asyncio as aioredis
from litestar.testing import AsyncTestClient

from tests.auth.test_team import INVITATIONS, bearer, invite, roles_of
from tests.conftest import SMTP, STRONG_PASSWORD, register_and_login, unique_email

ACCEPT = "/api/v1/auth/accept-invitation"
PREVIEW = "/api/v1/auth/invitation-preview"


async def test_invitation_is_emailed_and_never_returned(client: AsyncTestClient[Any], creator: dict[str, Any]) -> None:
    email = unique_email("invitee")
    r = await client.post(INVITATIONS, headers=creator["headers"], json={"email": email, "role": "editor"})
    assert r.status_code == 201 and "token" not in r.json()
    listed = await client.get(INVITATIONS, headers=creator["headers"])
    assert all("token" not in i for i in listed.json())
    mail = await SMTP.sink.await_message(email)
    assert "alice person" in mail.subject and "editor" in mail.text
    assert mail.link("/accept-invitation").startswith("http://127.0.0.1:3000/accept-invitation?token=")


async def test_preview_says_what_and_whether_to_sign_in(
    client: AsyncTestClient[Any], creator: dict[str, Any], other_creator: dict[str, Any]
) -> None:
    fresh = await invite(client, creator["headers"], "viewer")
    r = await client.post(PREVIEW, json={"token": fresh})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["role"] == "viewer" and body["account_exists"] is False and body["invited_by"] == "alice person"
    existing = await invite(client, creator["headers"], "viewer", other_creator["email"])
    assert (await client.post(PREVIEW, json={"token": existing})).json()["account_exists"] is True
    r = await client.post(PREVIEW, json={"token": f"{creator['workspace_id']}.not-a-real-secret"})
    assert r.status_code == 404


async def test_no_password_oracle_on_an_existing_account(
    client: AsyncTestClient[Any], creator: dict[str, Any], other_creator: dict[str, Any]
) -> None:
    """The attack: invite a stranger's address, then guess its password through the accept flow."""
    token = await invite(client, creator["headers"], "admin", other_creator["email"])
    answers = []
    for guess in ("Wrong-Password-1", "Wrong-Password-2", STRONG_PASSWORD):
        r = await client.post(ACCEPT, json={"token": token, "password": guess, "full_name": "x"})
        answers.append((r.status_code, r.json()))
    # The same answer for every guess, the right one included: nothing is learned, nothing is joined.
    assert answers == [(409, answers[0][1])] * 3 and answers[0][1]["error"] == "account_exists"
    assert other_creator["user_id"] not in await roles_of(client, creator["headers"])

    # Someone else signed in cannot take it either.
    third = await register_and_login(client, "third")
    r = await client.post(ACCEPT, json={"token": token}, headers=third["headers"])
    assert r.status_code == 403
    # The invited account, signed in as itself, joins.
    r = await client.post(ACCEPT, json={"token": token}, headers=other_creator["headers"])
    assert r.status_code == 200, r.text
    assert r.json()["workspace_id"] == creator["workspace_id"]
    assert (await roles_of(client, creator["headers"]))[other_creator["user_id"]] == "admin"
    # A broken bearer token is a 401, never a fall-back to the anonymous path.
    r = await client.post(ACCEPT, json={"token": token}, headers=bearer("garbage"))
    assert r.status_code == 401


async def test_accepting_is_rate_limited(client: AsyncTestClient[Any], creator: dict[str, Any]) -> None:
    import os

    token = await invite(client, creator["headers"], "viewer")
    r = aioredis.Redis.from_url(os.environ["REDIS_URL"], decode_responses=True)
    key = "invitation:global:ip:testclient"
    saved = await r.get(key)
    await r.set(key, 100000, ex=60)
    try:
        answer = await client.post(ACCEPT, json={"token": token, "password": STRONG_PASSWORD, "full_name": "N"})
        assert answer.status_code == 429 and int(answer.headers["retry-after"]) > 0
    finally:
        await r.set(key, saved or 0, ex=3600)
        await r.aclose()
    ok = await client.post(ACCEPT, json={"token": token, "password": STRONG_PASSWORD, "full_name": "N"})
    assert ok.status_code == 200  # the limited attempt did not spend the invitation
