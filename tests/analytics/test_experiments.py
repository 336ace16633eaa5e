"""A/B of two published versions: started by an editor only, with its outcome checked before start; enrollments
through the programs API get one of the two versions at random, about half each, the same one again when a
member re-enrolls; the comparison reads the rollups; stopping gives new members the published version again."""

from __future__ import annotations

import statistics
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from backend.analytics.experiments import arm_of
from backend.analytics.stats import welch
from tests.analytics.conftest import Script, add_member, drive, metric_graph, publish, refresh, stop_app_worker
from tests.auth.test_team import join
from tests.conftest import register_and_login


async def enroll(client: AsyncTestClient[Any], staff: dict[str, Any], pid: str, member_id: str) -> dict[str, Any]:
    r = await client.post(
        f"/api/v1/programs/{pid}/enrollments", headers=staff["headers"], json={"member_id": member_id}
    )
    assert r.status_code == 201, r.text
    out: dict[str, Any] = r.json()
    return out


def test_assignment_is_balanced() -> None:
    """Half each: 10,000 members of one experiment, 5,000 +/- 50 expected (a 6-sigma band is +/- 300)."""
    experiment = uuid.uuid4()
    b = sum(arm_of(experiment, uuid.uuid4()) for _ in range(10_000))
    assert 4_700 <= b <= 5_300, b
    # and per experiment: another experiment splits the same members independently
    members = [uuid.uuid4() for _ in range(10_000)]
    other = uuid.uuid4()
    same = sum(arm_of(experiment, m) == arm_of(other, m) for m in members)
    assert 4_700 <= same <= 5_300, same


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


async def test_metric_and_adherence_outcomes_compare_per_member(client: AsyncTestClient[Any]) -> None:
    """Members driven through both versions: each arm's mean change of the metric and Welch's t, by hand."""
    owner = await register_and_login(client, "abm")
    await stop_app_worker(client)
    pid = await publish(client, owner, metric_graph(times=3))
    await publish(client, owner, metric_graph(times=2), pid)
    url = f"/api/v1/analytics/programs/{pid}/experiments"
    body: dict[str, Any] = {"version_a": 1, "version_b": 2, "outcome": "metric", "metric_node": "mood"}
    r = await client.post(url, headers=owner["headers"], json=body)
    assert r.status_code == 201, r.text
    xid = uuid.UUID(r.json()["id"])
    start = datetime.now(UTC)
    changes: dict[int, list[float]] = {1: [], 2: []}
    for i in range(24):
        m = await add_member(client, owner, f"abm{i}")
        await drive(client, owner["workspace_id"], pid, m["id"], start, Script([1 + i % 3, 3 + i % 2, None]))
        changes[2 if arm_of(xid, uuid.UUID(m["id"])) else 1].append(2 + i % 2 - i % 3)
    await refresh(client, owner["workspace_id"])
    [x] = (await client.get(url, headers=owner["headers"])).json()["experiments"]
    assert all(len(c) >= 5 for c in changes.values()), changes
    arms = {a["version"]: a for a in x["arms"]}
    for v in (1, 2):
        assert arms[v]["members"] == len(changes[v]) and arms[v]["value"] == pytest.approx(statistics.fmean(changes[v]))
    expected = welch(changes[2], changes[1])
    assert expected is not None and x["result"]["test"] == "Welch t" and x["result"]["warning"]
    assert x["result"]["difference"] == pytest.approx(expected.diff)
    assert x["result"]["ci95"] == pytest.approx(list(expected.ci95))
    assert (await client.post(f"{url}/stop", headers=owner["headers"])).status_code == 200
    body.update(outcome="adherence", metric_node=None)
    r = await client.post(url, headers=owner["headers"], json=body)
    assert r.status_code == 201, r.text
    assert [a["members"] for a in r.json()["arms"]] == [0, 0]  # nobody enrolled since this one started
