"""Programs through the API: CRUD, publish/versions, enrollments, idempotent events, isolation, bad input."""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg
from litestar.testing import AsyncTestClient

from tests.programs.conftest import member, messages_of, published, simple_graph


async def test_create_save_validate_publish_and_versions(client: AsyncTestClient[Any], creator: dict[str, Any]) -> None:
    h = creator["headers"]
    r = await client.post("/api/v1/programs", headers=h, json={"name": "Blank"})
    assert r.status_code == 201, r.text
    body = r.json()
    pid = body["id"]
    assert [n["type"] for n in body["graph"]["nodes"]] == ["start", "end"] and body["issues"] == []
    # An invalid draft saves (the builder saves work in progress) and reports its problems.
    broken = simple_graph()
    broken["edges"].append({"id": "bad", "source": "tick", "target": "ghost"})
    r = await client.put(f"/api/v1/programs/{pid}", headers=h, json={"graph": broken, "revision": body["revision"]})
    assert r.status_code == 200, r.text
    saved = r.json()
    assert saved["revision"] == body["revision"] + 1
    assert {i["code"] for i in saved["issues"]} >= {"dangling_edge"}
    # React Flow shapes round-trip: position and edge handles come back.
    assert saved["graph"]["nodes"][1]["position"] == {"x": 0.0, "y": 100.0}
    # A stale revision is refused.
    r = await client.put(f"/api/v1/programs/{pid}", headers=h, json={"name": "x", "revision": body["revision"]})
    assert r.status_code == 409 and r.json()["error"] == "conflict"
    r = await client.post(f"/api/v1/programs/{pid}/validate", headers=h)
    assert r.status_code == 200 and r.json()["valid"] is False
    r = await client.post(f"/api/v1/programs/{pid}/publish", headers=h)
    assert r.status_code == 422 and r.json()["issues"][0]["edge_ids"] == ["bad"]
    r = await client.put(f"/api/v1/programs/{pid}", headers=h, json={"graph": simple_graph()})
    assert r.json()["issues"] == []
    r = await client.post(f"/api/v1/programs/{pid}/publish", headers=h)
    assert r.status_code == 201 and r.json()["version"] == 1
    r = await client.get(f"/api/v1/programs/{pid}", headers=h)
    assert r.json()["published_version"] == 1 and [v["version"] for v in r.json()["versions"]] == [1]
    r = await client.get("/api/v1/programs", headers=h)
    assert any(p["id"] == pid for p in r.json())


async def test_member_stays_on_enrolled_version(
    client: AsyncTestClient[Any], creator: dict[str, Any], admin_conn: asyncpg.Connection
) -> None:
    h = creator["headers"]
    pid = await published(client, creator)
    m1 = await member(client, creator, "marcus")
    r = await client.post(f"/api/v1/programs/{pid}/enrollments", headers=h, json={"member_id": m1})
    assert r.status_code == 201, r.text
    first = r.json()
    assert first["version"] == 1 and first["current_node"] == "mood" and first["waiting"] == "answer"
    assert await messages_of(admin_conn, m1) == ["Hello Marcus", "Mood? (1-5)"]
    # v2 changes the greeting; the enrolled member keeps v1's graph, a new member gets v2.
    g2 = simple_graph()
    g2["nodes"][1]["data"]["text"] = "Welcome {{name}}"
    g2["nodes"][4]["data"]["text"] = "v2 tick"
    await client.put(f"/api/v1/programs/{pid}", headers=h, json={"graph": g2})
    assert (await client.post(f"/api/v1/programs/{pid}/publish", headers=h)).json()["version"] == 2
    m2 = await member(client, creator, "faustina")
    r = await client.post(f"/api/v1/programs/{pid}/enrollments", headers=h, json={"member_id": m2})
    assert r.json()["version"] == 2
    assert (await messages_of(admin_conn, m2))[0] == "Welcome Faustina"
    r = await client.get(f"/api/v1/programs/{pid}/enrollments", headers=h)
    assert sorted(e["version"] for e in r.json()) == [1, 2]
    # enrolling twice is a conflict
    r = await client.post(f"/api/v1/programs/{pid}/enrollments", headers=h, json={"member_id": m1})
    assert r.status_code == 409


async def test_duplicated_and_out_of_order_events_send_one_message(
    client: AsyncTestClient[Any], creator: dict[str, Any], admin_conn: asyncpg.Connection
) -> None:
    h = creator["headers"]
    pid = await published(client, creator)
    mid = await member(client, creator, "epictetus")
    eid = (await client.post(f"/api/v1/programs/{pid}/enrollments", headers=h, json={"member_id": mid})).json()["id"]
    event = {"type": "answer", "key": "answer-1", "payload": {"node_id": "mood", "value": 4}}
    r = await client.post(f"/api/v1/enrollments/{eid}/events", headers=h, json=event)
    assert r.status_code == 200 and r.json()["outcome"] == "applied"
    assert r.json()["enrollment"]["current_node"] == "pause" and r.json()["enrollment"]["next_due_at"]
    for _ in range(3):  # retries of the same event
        r = await client.post(f"/api/v1/enrollments/{eid}/events", headers=h, json=event)
        assert r.json()["outcome"] == "duplicate" and r.json()["messages"] == []
    # a different key, but an answer for the node the member already left
    late = {"type": "answer", "key": "answer-2", "payload": {"node_id": "mood", "value": 1}}
    r = await client.post(f"/api/v1/enrollments/{eid}/events", headers=h, json=late)
    assert r.json()["outcome"] == "stale" and r.json()["enrollment"]["current_node"] == "pause"
    assert await messages_of(admin_conn, mid) == ["Hello Epictetus", "Mood? (1-5)"]
    rows = await admin_conn.fetch(
        "SELECT key, outcome FROM program_events WHERE enrollment_id = $1::uuid ORDER BY received_at", eid
    )
    assert [(r["key"], r["outcome"]) for r in rows] == [("answer-1", "applied"), ("answer-2", "stale")]
    # Concurrent duplicates: exactly one applies.
    import asyncio

    mid2 = await member(client, creator, "arrian")
    eid2 = (await client.post(f"/api/v1/programs/{pid}/enrollments", headers=h, json={"member_id": mid2})).json()["id"]
    twin = {"type": "answer", "key": "same", "payload": {"value": 3}}
    results = await asyncio.gather(
        *(client.post(f"/api/v1/enrollments/{eid2}/events", headers=h, json=twin) for _ in range(5))
    )
    assert sorted(r.json()["outcome"] for r in results) == ["applied"] + ["duplicate"] * 4
    assert len(await messages_of(admin_conn, mid2)) == 2


async def test_invalid_answer_is_422_and_key_stays_usable(
    client: AsyncTestClient[Any], creator: dict[str, Any]
) -> None:
    h = creator["headers"]
    pid = await published(client, creator)
    mid = await member(client, creator, "seneca")
    eid = (await client.post(f"/api/v1/programs/{pid}/enrollments", headers=h, json={"member_id": mid})).json()["id"]
    r = await client.post(
        f"/api/v1/enrollments/{eid}/events", headers=h, json={"type": "answer", "key": "k", "payload": {"value": 11}}
    )
    assert r.status_code == 422 and r.json()["error"] == "invalid_input" and "1 to 5" in r.json()["detail"]
    r = await client.post(
        f"/api/v1/enrollments/{eid}/events", headers=h, json={"type": "answer", "key": "k", "payload": {"value": 5}}
    )
    assert r.json()["outcome"] == "applied"


async def test_pause_resume_unenroll(
    client: AsyncTestClient[Any], creator: dict[str, Any], admin_conn: asyncpg.Connection
) -> None:
    h = creator["headers"]
    pid = await published(client, creator)
    mid = await member(client, creator, "cato")
    eid = (await client.post(f"/api/v1/programs/{pid}/enrollments", headers=h, json={"member_id": mid})).json()["id"]
    await client.post(
        f"/api/v1/enrollments/{eid}/events", headers=h, json={"type": "answer", "key": "a", "payload": {"value": 2}}
    )
    r = await client.post(f"/api/v1/enrollments/{eid}/pause", headers=h)
    assert r.status_code == 200 and r.json()["status"] == "paused" and r.json()["next_due_at"] is None
    pending = await admin_conn.fetchval(
        "SELECT count(*) FROM program_timers WHERE enrollment_id = $1::uuid AND fired_at IS NULL", eid
    )
    assert pending == 0
    r = await client.post(
        f"/api/v1/enrollments/{eid}/events", headers=h, json={"type": "event", "key": "b", "payload": {"name": "x"}}
    )
    assert r.json()["outcome"] == "inactive"
    assert (await client.post(f"/api/v1/enrollments/{eid}/pause", headers=h)).status_code == 409
    r = await client.post(f"/api/v1/enrollments/{eid}/resume", headers=h)
    assert r.status_code == 200 and r.json()["status"] == "active" and r.json()["next_due_at"]
    pending = await admin_conn.fetchval(
        "SELECT count(*) FROM program_timers WHERE enrollment_id = $1::uuid AND fired_at IS NULL", eid
    )
    assert pending == 1
    r = await client.post(f"/api/v1/enrollments/{eid}/unenroll", headers=h)
    assert r.json()["status"] == "unenrolled"
    assert (await client.post(f"/api/v1/enrollments/{eid}/resume", headers=h)).status_code == 409


async def test_templates_import_export_and_simulate(client: AsyncTestClient[Any], creator: dict[str, Any]) -> None:
    h = creator["headers"]
    r = await client.get("/api/v1/programs/templates", headers=h)
    assert r.status_code == 200 and {t["key"] for t in r.json()} == {"stoic-morning", "evening-review"}
    r = await client.post("/api/v1/programs/import", headers=h, json={"template": "stoic-morning"})
    assert r.status_code == 201 and r.json()["name"] == "Stoic morning" and r.json()["issues"] == []
    pid = r.json()["id"]
    exported = (await client.get(f"/api/v1/programs/{pid}/export", headers=h)).json()
    assert exported["format"] == "coachtwin.program/v1"
    r = await client.post("/api/v1/programs/import", headers=h, json={**exported, "name": "Copy"})
    assert r.status_code == 201 and r.json()["graph"] == exported["graph"]
    r = await client.post(
        f"/api/v1/programs/{pid}/simulate",
        headers=h,
        json={
            "answers": {"intention": [1] + [5] * 13},
            "start_at": "2025-10-20T09:00:00Z",
            "timezone": "Europe/London",
        },
    )
    assert r.status_code == 200, r.text
    sim = r.json()
    assert sim["status"] == "completed"
    assert sim["path"][:6] == ["start", "welcome", "first_morning", "morning", "intention", "low"]
    assert "support" in sim["path"]  # the low answer branched
    mornings = [t for t in sim["transcript"] if t["node_id"] == "morning"]
    assert len(mornings) == 14 and {t["local"][11:16] for t in mornings} == {"07:00"}
    # the simulator touched no member
    assert (await client.get(f"/api/v1/programs/{pid}/enrollments", headers=h)).json() == []
    r = await client.post("/api/v1/programs/import", headers=h, json={"template": "nope"})
    assert r.status_code == 422


async def test_isolation_between_workspaces(
    client: AsyncTestClient[Any], creator: dict[str, Any], other_creator: dict[str, Any]
) -> None:
    pid = await published(client, creator)
    mid = await member(client, creator, "hadrian")
    eid = (
        await client.post(f"/api/v1/programs/{pid}/enrollments", headers=creator["headers"], json={"member_id": mid})
    ).json()["id"]
    o = other_creator["headers"]
    for method, path, body in [
        ("get", f"/api/v1/programs/{pid}", None),
        ("put", f"/api/v1/programs/{pid}", {"name": "pwned"}),
        ("post", f"/api/v1/programs/{pid}/publish", None),
        ("post", f"/api/v1/programs/{pid}/validate", None),
        ("post", f"/api/v1/programs/{pid}/simulate", {}),
        ("get", f"/api/v1/programs/{pid}/enrollments", None),
        ("get", f"/api/v1/programs/{pid}/export", None),
        ("get", f"/api/v1/enrollments/{eid}", None),
        ("post", f"/api/v1/enrollments/{eid}/pause", None),
        ("post", f"/api/v1/enrollments/{eid}/unenroll", None),
        ("post", f"/api/v1/enrollments/{eid}/events", {"type": "answer", "key": "x", "payload": {"value": 3}}),
    ]:
        r = await getattr(client, method)(path, headers=o, **({"json": body} if body is not None else {}))
        assert r.status_code == 404, (path, r.status_code, r.text)
        assert r.json()["error"] == "not_found"
    # Enrolling the other workspace's member into one's own program: the member is not found.
    own = await published(client, other_creator)
    r = await client.post(f"/api/v1/programs/{own}/enrollments", headers=o, json={"member_id": mid})
    assert r.status_code == 404
    assert all(p["id"] != pid for p in (await client.get("/api/v1/programs", headers=o)).json())


async def test_bad_input_is_4xx_json(client: AsyncTestClient[Any], creator: dict[str, Any]) -> None:
    h = creator["headers"]
    pid = await published(client, creator)
    cases = [
        ("post", "/api/v1/programs", {"name": ""}),
        ("post", "/api/v1/programs", {"name": "x", "graph": {"nodes": "no", "edges": []}}),
        ("post", "/api/v1/programs", {"name": "x", "extra": 1}),
        ("put", f"/api/v1/programs/{pid}", {"graph": {"nodes": [{"type": "message"}], "edges": []}}),
        ("post", f"/api/v1/programs/{pid}/enrollments", {"member_id": "not-a-uuid"}),
        ("post", f"/api/v1/programs/{pid}/simulate", {"timezone": "Mars/Olympus"}),
        ("post", f"/api/v1/programs/{pid}/simulate", {"start_at": "yesterday"}),
        ("post", "/api/v1/programs/import", {}),
    ]
    for method, path, body in cases:
        r = await getattr(client, method)(path, headers=h, json=body)
        assert 400 <= r.status_code < 500, (path, body, r.status_code, r.text)
        assert {"error", "detail"} <= set(r.json()), r.text
    r = await client.post(f"/api/v1/programs/{pid}/enrollments", headers=h, json={"member_id": str(uuid.uuid4())})
    assert r.status_code == 404
    r = await client.post(
        f"/api/v1/enrollments/{uuid.uuid4()}/events", headers=h, json={"type": "teleport", "key": "k"}
    )
    assert r.status_code in (400, 422)
    r = await client.post(
        "/api/v1/programs",
        headers=h,
        content=b"{not json",
    )
    assert r.status_code == 400 and r.json()["error"] == "malformed_body"
    # unpublished programs cannot take enrollments
    draft = (await client.post("/api/v1/programs", headers=h, json={"name": "draft"})).json()["id"]
    mid = await member(client, creator, "zeno")
    r = await client.post(f"/api/v1/programs/{draft}/enrollments", headers=h, json={"member_id": mid})
    assert r.status_code == 409
    r = await client.get("/api/v1/programs")
    assert r.status_code == 401


async def test_check_an_unsaved_graph_and_warnings_before_publishing(
    client: AsyncTestClient[Any], creator: dict[str, Any]
) -> None:
    """The builder checks the graph it holds (nothing stored); a loop a silent member travels for ever is a
    warning: shown on the program and by the check, not a problem that stops publishing."""
    from tests.programs.test_graph import silent_loop

    h = creator["headers"]
    runaway = silent_loop(counted=False)
    r = await client.post("/api/v1/programs/check", headers=h, json=runaway)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["valid"] is True and body["issues"] == []
    assert [w["code"] for w in body["warnings"]] == ["runaway_loop"]
    assert set(body["warnings"][0]["node_ids"]) == {"day", "ask", "w"}
    r = await client.post("/api/v1/programs/check", headers=h, json=silent_loop(counted=True))
    assert r.json()["warnings"] == []
    broken = {"nodes": runaway["nodes"][:2], "edges": runaway["edges"][:1]}
    r = await client.post("/api/v1/programs/check", headers=h, json=broken)
    assert r.json()["valid"] is False and "has no next step" in r.json()["issues"][0]["message"]
    assert (await client.get("/api/v1/programs/", headers=h)).json() == []  # nothing was stored

    r = await client.post("/api/v1/programs/", headers=h, json={"name": "Daily", "graph": runaway})
    assert r.status_code == 201 and [w["code"] for w in r.json()["warnings"]] == ["runaway_loop"]
    pid = r.json()["id"]
    validated = (await client.post(f"/api/v1/programs/{pid}/validate", headers=h)).json()
    assert validated["valid"] is True and len(validated["warnings"]) == 1
    assert (await client.post(f"/api/v1/programs/{pid}/publish", headers=h)).status_code == 201
    r = await client.post("/api/v1/programs/check", headers=h, json={"nodes": "nope", "edges": []})
    assert r.status_code in {400, 422} and set(r.json()) >= {"error", "detail"}
