"""Analytics: the overview, one program's outcomes (and its CSV), retention, experiments, twin quality, uplift."""

from __future__ import annotations

from datetime import date
from typing import Any

from frontend.api.contracts import ExperimentList, Overview, ProgramAnalytics, Retention, TwinQuality, Uplift
from frontend.api.transport import exchange, send

BASE = "/api/v1/analytics"


def period(start: date | None, end: date | None, version: int | None = None) -> dict[str, Any] | None:
    """The query of a period (enrollment days, UTC, inclusive) and a version; None when there is no filter."""
    params = {"from": start.isoformat() if start else None, "to": end.isoformat() if end else None, "version": version}
    kept = {k: v for k, v in params.items() if v is not None}
    return kept or None


async def overview(token: str, start: date | None = None, end: date | None = None) -> Overview:
    return await send("GET", f"{BASE}/overview", token, params=period(start, end), into=Overview)


async def program(
    token: str, program_id: str, version: int | None = None, start: date | None = None, end: date | None = None
) -> ProgramAnalytics:
    params = period(start, end, version)
    return await send("GET", f"{BASE}/programs/{program_id}", token, params=params, into=ProgramAnalytics)


async def export_csv(
    token: str, program_id: str, version: int | None = None, start: date | None = None, end: date | None = None
) -> str:
    """The program view as the API's CSV (suppressed cells empty)."""
    params = period(start, end, version)
    return (await exchange("GET", f"{BASE}/programs/{program_id}/export.csv", token, params=params)).text


async def retention(
    token: str, program_id: str, version: int | None = None, start: date | None = None, end: date | None = None
) -> Retention:
    params = period(start, end, version)
    return await send("GET", f"{BASE}/programs/{program_id}/retention", token, params=params, into=Retention)


async def experiments(token: str, program_id: str) -> ExperimentList:
    return await send("GET", f"{BASE}/programs/{program_id}/experiments", token, into=ExperimentList)


async def twin(token: str, start: date | None = None, end: date | None = None) -> TwinQuality:
    return await send("GET", f"{BASE}/twin", token, params=period(start, end), into=TwinQuality)


async def uplift(token: str, trigger_id: str) -> Uplift:
    return await send("GET", f"{BASE}/engagement/{trigger_id}", token, into=Uplift)
