"""A/B of two published versions: started by an editor only, with its outcome checked before start; enrollments
through the programs API get one of the two versions at random, about half each, the same one again when a
member re-enrolls; the comparison reads the rollups; stopping gives new members the published version again."""

from __future__ import annotations

import uuid
from typing import Any

from litestar.testing import AsyncTestClient

from backend.analytics.experiments import arm_of
from tests.analytics.conftest import add_member, metric_graph, publish, refresh
from tests.auth.test_team import join
from tests.conftest import register_and_login


async def enroll(client: AsyncTestClient[Any], staff: dict[str, Any], pid: str, member_id: str) -> dict[str, Any]:
    r = await client.post(
        f"/api/v1/programs/{pid}/enrollments", headers=staff["headers"], json={"member_id": member_id}
    )
    assert r.status_code == 201, r.text
    out: dict[str, Any] = r.json()
    return out


async def test_experiment_assigns_sticky_balanced_versions(client: AsyncTestClient[Any]) -> None:
    owner = await register_and_login(client, "ab")
    viewer = await join(client, owner, "viewer")
    pid = await publish(client, owner, metric_graph(times=3))
    await publish(client, owner, metric_graph(times=2), pid)  # version 2
    url = f"/api/v1/analytics/programs/{pid}/experiments"
    body = {"version_a": 1, "version_b": 2, "outcome": "completion"}
    r = await client.post(url, headers=viewer["headers"], json=body)
    assert r.status_code == 403
    for bad in (
        {"version_a": 1, "version_b": 1, "outcome": "completion"},
        {"version_a": 1, "version_b": 9, "outcome": "completion"},
        {"version_a": 1, "version_b": 2, "outcome": "metric"},
        {"version_a": 1, "version_b": 2, "outcome": "metric", "metric_node": "enough"},
        {"version_a": 1, "version_b": 2, "outcome": "guess"},
    ):
        r = await client.post(url, headers=owner["headers"], json=bad)
        assert r.status_code in (400, 422) and set(r.json()) >= {"error", "detail"}, (bad, r.text)
    r = await client.post(url, headers=owner["headers"], json=body)
    assert r.status_code == 201, r.text
    x = r.json()
    assert x["status"] == "running" and x["result"]["warning"]
    assert (await client.post(url, headers=owner["headers"], json=body)).status_code == 409
    members = [await add_member(client, owner, f"ab{i}") for i in range(60)]
    got = {m["id"]: (await enroll(client, owner, pid, m["id"]))["version"] for m in members}
    expected = {m["id"]: 2 if arm_of(uuid.UUID(x["id"]), uuid.UUID(m["id"])) else 1 for m in members}
    assert got == expected
    b = sum(v == 2 for v in got.values())
    assert 15 <= b <= 45, b  # Binomial(60, 1/2): 30 +/- 3.9; outside 15..45 is a 4-sigma event
    # Sticky: leave and come back, same version.
    listed = (await client.get(f"/api/v1/programs/{pid}/enrollments", headers=owner["headers"])).json()
    for m in members[:6]:
        first = next(e for e in listed if e["member_id"] == m["id"])
        r = await client.post(f"/api/v1/enrollments/{first['id']}/unenroll", headers=owner["headers"])
        assert r.status_code == 200, r.text
        assert (await enroll(client, owner, pid, m["id"]))["version"] == got[m["id"]]
    await refresh(client, owner["workspace_id"])
    r = await client.get(url, headers=viewer["headers"])
    assert r.status_code == 200
    [x] = r.json()["experiments"]
    arms = {a["version"]: a["members"] for a in x["arms"]}
    assert arms == {
        1: 60 - b + sum(got[m["id"]] == 1 for m in members[:6]),
        2: b + sum(got[m["id"]] == 2 for m in members[:6]),
    }
    assert x["result"]["difference"] == 0 and x["result"]["test"] in ("two-proportion z", "Fisher exact")
    r = await client.post(f"{url}/stop", headers=owner["headers"])
    assert r.status_code == 200 and r.json()["status"] == "stopped"
    assert (await client.post(f"{url}/stop", headers=owner["headers"])).status_code == 409
    late = await add_member(client, owner, "late")
    assert (await enroll(client, owner, pid, late["id"]))["version"] == 2
    # Another workspace cannot see or start one.
    rival = await register_and_login(client, "rivalab")
    assert (await client.get(url, headers=rival["headers"])).status_code == 404
    assert (await client.post(url, headers=rival["headers"], json=body)).status_code == 404
