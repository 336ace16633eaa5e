"""The program view against a cohort computed by hand, driven through the real runtime across the UK's spring DST
change (2026-03-29): ties, a member with one answer, one who never answers, one who leaves; small cells hidden in
the API and the CSV; another workspace's members never counted and its program never shown."""

from __future__ import annotations

import csv
import io
import math
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import text

from backend.analytics.facts import day_sums
from backend.analytics.rollups import FACT_COLUMNS
from backend.lib.tenancy import TenantContext
from tests.analytics.conftest import Script, add_member, drive, in_app, metric_graph, publish, refresh, stop_app_worker
from tests.auth.test_team import join
from tests.conftest import register_and_login
from tests.fixtures.analytics import nonzero

START = datetime(2026, 3, 28, 0, 15, tzinfo=UTC)  # a Saturday; London springs forward the next night
COHORT = {  # name: (time zone, script)
    "m1": ("UTC", Script([2, 3, 4])),  # +2
    "m2": ("UTC", Script([3, 3, 3])),  # a tie: change 0, not improved
    "m3": ("UTC", Script([4, None, None])),  # one answer: no change to measure
    "m4": ("UTC", Script([None, None, None])),  # never answers
    "m5": ("UTC", Script([5, 1, None])),  # -4
    "m6": ("Europe/London", Script([1, 2, 3])),  # +2; answers at 00:30 local across the DST change
    "m7": ("America/New_York", Script([2, None, 5])),  # +3
    "m8": ("UTC", Script([3], leave_at=1)),  # leaves at the second mood
}


async def build_cohort(client: AsyncTestClient[Any], team: bool = False) -> dict[str, Any]:
    # Accounts first: sign-up and invitations send mail through the app's worker, stopped before the clock moves.
    # (Only the isolation test makes a viewer and a rival: each sign-in counts against the suite's login limit.)
    owner = await register_and_login(client, "coach")
    viewer = await join(client, owner, "viewer") if team else None
    other = await register_and_login(client, "rival") if team else None
    await stop_app_worker(client)
    pid = await publish(client, owner, metric_graph())
    members = {}
    for name, (tz, script) in COHORT.items():
        m = await add_member(client, owner, name, tz)
        members[name] = await drive(client, owner["workspace_id"], pid, m["id"], START, script)
    await refresh(client, owner["workspace_id"], datetime(2026, 4, 1, 12, tzinfo=UTC))
    return {"owner": owner, "viewer": viewer, "other": other, "program_id": pid, "enrollments": members}


@pytest.fixture
async def cohort(client: AsyncTestClient[Any]) -> dict[str, Any]:
    return await build_cohort(client)


async def test_definitions_match_the_hand_computed_cohort(client: AsyncTestClient[Any], cohort: dict[str, Any]) -> None:
    owner, pid = cohort["owner"], cohort["program_id"]
    r = await client.get(f"/api/v1/analytics/programs/{pid}", headers=owner["headers"])
    assert r.status_code == 200, r.text
    v = r.json()
    assert v["enrolled"] == 8 and v["completed"] == 7 and v["completion_rate"] == 7 / 8
    # Sent: 3 moods for each of m1-m7, 2 for m8 (the second closed when they left); answered 3+3+1+0+2+3+2+1.
    assert v["adherence"] == 15 / 23
    assert v["adherence_detail"]["sent"] == 23 and v["adherence_detail"]["answered"] == 15
    funnel = {f["node_id"]: f for f in v["funnel"]}
    assert [f["node_id"] for f in v["funnel"]] == ["start", "mood", "enough", "end", "next"]
    assert funnel["mood"]["reached"] == 8 and funnel["mood"]["title"] == "Mood"
    assert funnel["end"]["reached"] == 7
    assert funnel["mood"]["dropped"] is None and "funnel.mood.dropped" in v["suppressed"]  # m8 alone
    assert funnel["end"]["dropped"] == 0 and "funnel.end.dropped" not in v["suppressed"]
    # Seven members answered their first mood after 15 minutes, m4's window closed after 10 hours.
    assert abs(funnel["mood"]["median_time_to_next"] - 900) <= 900 * 0.1
    # Changes over the five members with two or more answers: +2, 0, -4, +2, +3.
    [metric] = v["metrics"]
    changes = [2, 0, -4, 2, 3]
    mean = sum(changes) / 5
    sd = math.sqrt(sum((c - mean) ** 2 for c in changes) / 4)
    half = 2.7764451051977987 * sd / math.sqrt(5)  # t(0.975, 4)
    assert metric["node_id"] == "mood" and metric["n"] == 5
    assert metric["first_mean"] == pytest.approx(13 / 5) and metric["latest_mean"] == pytest.approx(16 / 5)
    assert metric["mean_change"] == pytest.approx(0.6)
    assert metric["ci95"] == pytest.approx([mean - half, mean + half])
    assert metric["improved_share"] == pytest.approx(3 / 5)
    # Longest streaks: m4 0; m3, m8 1; m1, m2, m5, m6, m7 2-3 days (m7's missed day is forgiven).
    longest = {b["bucket"]: b["members"] for b in v["adherence_detail"]["streak_longest"]}
    assert longest["2-3 days"] == 5 and longest["0 days"] is None and longest["1 days"] is None


async def test_streaks_count_local_days_across_dst(client: AsyncTestClient[Any], cohort: dict[str, Any]) -> None:
    """m6 answered at 00:30 London time on the 28th, 29th and 30th: in UTC two of those fall on the 28th."""

    async def facts(platform: Any) -> dict[str, int]:
        async with platform.db.session(TenantContext(uuid.UUID(cohort["owner"]["workspace_id"]))) as db:
            rows = await db.execute(text("SELECT enrollment_id, streak_longest FROM analytics_enrollments"))
            return {str(e): n for e, n in rows}

    longest = await in_app(client, facts)
    by_name = {name: longest[str(eid)] for name, eid in cohort["enrollments"].items()}
    assert by_name == {"m1": 3, "m2": 3, "m3": 1, "m4": 0, "m5": 2, "m6": 3, "m7": 2, "m8": 1}


async def test_period_filters_and_bad_input(client: AsyncTestClient[Any], cohort: dict[str, Any]) -> None:
    owner, pid = cohort["owner"], cohort["program_id"]
    url = f"/api/v1/analytics/programs/{pid}"
    r = await client.get(url, headers=owner["headers"], params={"from": "2026-03-29"})
    assert r.status_code == 200 and r.json()["enrolled"] == 0 and r.json()["adherence"] is None
    r = await client.get(url, headers=owner["headers"], params={"from": "2026-03-28", "to": "2026-03-28", "version": 1})
    assert r.status_code == 200 and r.json()["enrolled"] == 8
    r = await client.get(url, headers=owner["headers"], params={"from": "2026-03-29", "to": "2026-03-28"})
    assert r.status_code == 422 and r.json()["error"] == "invalid_input"
    r = await client.get(url, headers=owner["headers"], params={"from": "yesterday"})
    assert r.status_code in (400, 422) and set(r.json()) >= {"error", "detail"}
    r = await client.get(url, headers=owner["headers"], params={"version": 2})
    assert r.status_code == 404


async def test_retention_cohorts(client: AsyncTestClient[Any], cohort: dict[str, Any]) -> None:
    owner, pid = cohort["owner"], cohort["program_id"]
    r = await client.get(f"/api/v1/analytics/programs/{pid}/retention", headers=owner["headers"])
    assert r.status_code == 200, r.text
    [c] = r.json()["cohorts"]
    # Week of Monday 23 March: everyone but m4 answered by Sunday 29 (UTC); only m1 and m2 on Monday 30.
    assert c["week"] == "2026-03-23" and c["members"] == 8
    assert c["active"][0] == 7 / 8 and c["active"][1] is None
    assert "cohorts.2026-03-23.week1" in r.json()["suppressed"]


async def test_csv_has_the_same_cells_and_hides_small_ones(
    client: AsyncTestClient[Any], cohort: dict[str, Any]
) -> None:
    owner, pid = cohort["owner"], cohort["program_id"]
    r = await client.get(f"/api/v1/analytics/programs/{pid}/export.csv", headers=owner["headers"])
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.text)))
    cell = {(row["section"], row["node_id"], row["field"]): row for row in rows}
    assert cell[("summary", "", "enrolled")]["value"] == "8"
    assert float(cell[("metrics", "mood", "mean_change")]["value"]) == pytest.approx(0.6)
    dropped = cell[("funnel", "mood", "dropped")]
    assert dropped["value"] == "" and dropped["suppressed"] == "yes"


async def test_viewers_read_and_other_workspaces_see_nothing(client: AsyncTestClient[Any]) -> None:
    cohort = await build_cohort(client, team=True)
    owner, pid = cohort["owner"], cohort["program_id"]
    viewer = cohort["viewer"]
    r = await client.get(f"/api/v1/analytics/programs/{pid}", headers=viewer["headers"])
    assert r.status_code == 200 and r.json()["enrolled"] == 8
    r = await client.post("/api/v1/analytics/refresh", headers=viewer["headers"])
    assert r.status_code == 403
    # Another workspace with its own program and members: neither sees the other's.
    other = cohort["other"]
    their = await publish(client, other, metric_graph())
    for i in range(6):
        m = await add_member(client, other, f"r{i}")
        await drive(client, other["workspace_id"], their, m["id"], START, Script([1, 5, 5]))
    await refresh(client, other["workspace_id"], datetime(2026, 4, 1, 12, tzinfo=UTC))
    await refresh(client, owner["workspace_id"], datetime(2026, 4, 1, 12, tzinfo=UTC))
    r = await client.get(f"/api/v1/analytics/programs/{pid}", headers=owner["headers"])
    assert r.json()["enrolled"] == 8 and r.json()["metrics"][0]["n"] == 5
    r = await client.get(f"/api/v1/analytics/programs/{their}", headers=other["headers"])
    assert r.json()["enrolled"] == 6 and r.json()["metrics"][0]["mean_change"] == 4
    for url in (f"/api/v1/analytics/programs/{their}", f"/api/v1/analytics/programs/{their}/export.csv"):
        r = await client.get(url, headers=owner["headers"])
        assert r.status_code == 404 and r.json()["error"] == "not_found"
    r = await client.get("/api/v1/analytics/overview", headers=owner["headers"])
    assert [p["program_id"] for p in r.json()["programs"]] == [pid]


async def test_incremental_refresh_equals_a_rebuild(client: AsyncTestClient[Any], cohort: dict[str, Any]) -> None:
    """Changes after the first refresh are added as differences (old facts out, new in); the stored sums equal the
    sums of every enrollment's facts."""
    owner, pid = cohort["owner"], cohort["program_id"]
    late = []
    for i, script in enumerate((Script([5, 4, 3]), Script([None, 2]), Script([1], leave_at=1))):
        m = await add_member(client, owner, f"late{i}", "Europe/London")
        late.append(await drive(client, owner["workspace_id"], pid, m["id"], START, script))
        stats = await refresh(client, owner["workspace_id"], datetime(2026, 4, 1, 12, tzinfo=UTC))
        assert stats.enrollments == 1 and stats.days == 1
    # The second late member (still running) leaves: their facts change (dropped where they were).
    r = await client.post(f"/api/v1/enrollments/{late[1]}/unenroll", headers=owner["headers"])
    assert r.status_code == 200, r.text
    assert (await refresh(client, owner["workspace_id"], datetime(2026, 4, 1, 12, tzinfo=UTC))).enrollments == 1

    async def stored_and_rebuilt(platform: Any) -> tuple[Any, Any]:
        async with platform.db.session(TenantContext(uuid.UUID(owner["workspace_id"]))) as db:
            stored = (await db.execute(text("SELECT enrolled, data FROM analytics_program_days"))).one()
            facts = (await db.execute(text(f"SELECT {FACT_COLUMNS} FROM analytics_enrollments"))).mappings().all()
            return (stored[0], stored[1]), day_sums(facts)

    (n, data), (n_all, data_all) = await in_app(client, stored_and_rebuilt)
    assert n == n_all == 11
    assert nonzero(data) == nonzero(data_all) and data["dropped"] == {"mood": 3}  # m8 and two late members
