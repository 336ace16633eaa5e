"""The worker's job finds the workspaces with changes through its SECURITY DEFINER function (the app role sees no
other tenant's rows) and folds them in; a second pass finds nothing left."""

from __future__ import annotations

from typing import Any

from litestar.testing import AsyncTestClient

from backend.analytics.jobs import due_workspaces, run_pass
from tests.analytics.conftest import add_member, in_app, metric_graph, publish, stop_app_worker
from tests.conftest import register_and_login


async def test_the_job_refreshes_every_workspace_with_changes(client: AsyncTestClient[Any]) -> None:
    owner = await register_and_login(client, "job")
    await stop_app_worker(client)
    pid = await publish(client, owner, metric_graph())
    for i in range(5):
        m = await add_member(client, owner, f"j{i}")
        r = await client.post(
            f"/api/v1/programs/{pid}/enrollments", headers=owner["headers"], json={"member_id": m["id"]}
        )
        assert r.status_code == 201, r.text
    assert owner["workspace_id"] in {str(c) for c in await in_app(client, due_workspaces)}
    totals = await in_app(client, run_pass)
    assert totals["workspaces"] >= 1 and totals["marks"] >= 5
    assert owner["workspace_id"] not in {str(c) for c in await in_app(client, due_workspaces)}
    r = await client.get(f"/api/v1/analytics/programs/{pid}", headers=owner["headers"])
    assert r.json()["enrolled"] == 5 and r.json()["funnel"][1]["reached"] == 5
