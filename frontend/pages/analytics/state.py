"""The Analytics page's state: filters (program, version, period), each section's chart points and tables."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from typing import Any

import reflex as rx

from frontend import api
from frontend.pages.analytics import rows
from frontend.state import AuthState, PageState, Redirect, event

PERIODS = [("all", "All time"), ("7", "Last 7 days"), ("30", "Last 30 days"), ("90", "Last 90 days")]
ALL = "all"


def period_dates(period: str, today: date | None = None) -> tuple[date | None, date | None]:
    """Enrollment days (UTC, inclusive) of a period choice."""
    if not period.isdigit():
        return None, None
    today = today or datetime.now(UTC).date()
    return today - timedelta(days=int(period) - 1), today


class AnalyticsState(PageState, AuthState):
    period: str = ALL
    programs: rx.Field[list[dict[str, str]]] = rx.field(default_factory=list)
    program_id: str = ""
    versions: rx.Field[list[list[str]]] = rx.field(default_factory=list)  # [value, text]
    version: str = ALL
    overview_rows: rx.Field[list[list[str]]] = rx.field(default_factory=list)
    enrolled: str = ""
    completed: str = ""
    completion: str = ""
    adherence: str = ""
    suppressed: int = 0
    funnel_points: rx.Field[list[dict[str, Any]]] = rx.field(default_factory=list)
    funnel_rows: rx.Field[list[list[str]]] = rx.field(default_factory=list)
    metric_points: rx.Field[list[dict[str, Any]]] = rx.field(default_factory=list)
    metric_rows: rx.Field[list[list[str]]] = rx.field(default_factory=list)
    adherence_points: rx.Field[list[dict[str, Any]]] = rx.field(default_factory=list)
    adherence_rows: rx.Field[list[list[str]]] = rx.field(default_factory=list)
    goal_rows: rx.Field[list[list[str]]] = rx.field(default_factory=list)
    retention_points: rx.Field[list[dict[str, Any]]] = rx.field(default_factory=list)
    retention_header: rx.Field[list[str]] = rx.field(default_factory=list)
    retention_rows: rx.Field[list[list[str]]] = rx.field(default_factory=list)
    experiment_header: rx.Field[list[str]] = rx.field(default_factory=list)
    experiment_rows: rx.Field[list[list[str]]] = rx.field(default_factory=list)
    experiment_warning: str = ""
    uplift_points: rx.Field[list[dict[str, Any]]] = rx.field(default_factory=list)
    uplift_rows: rx.Field[list[list[str]]] = rx.field(default_factory=list)
    twin_points: rx.Field[list[dict[str, Any]]] = rx.field(default_factory=list)
    twin_rows: rx.Field[list[list[str]]] = rx.field(default_factory=list)
    mode_rows: rx.Field[list[list[str]]] = rx.field(default_factory=list)
    _tables: dict[str, rows.Table] = {}  # backend-only (leading underscore): the CSV downloads

    def _dates(self) -> tuple[date | None, date | None]:
        return period_dates(self.period)

    def _version(self) -> int | None:
        return int(self.version) if self.version.isdigit() else None

    def _table(self, name: str, table: rows.Table) -> list[list[str]]:
        self._tables = {**self._tables, name: table}
        return table[1]

    async def _fetch(self) -> None:
        start, end = self._dates()
        o = await self._call(api.analytics.overview, start, end)
        self.programs = [{"id": str(p.program_id), "name": p.name} for p in o.programs]
        self.overview_rows = self._table("overview", rows.overview(o))
        if self.program_id not in {p["id"] for p in self.programs}:
            self.program_id = self.programs[0]["id"] if self.programs else ""
            self.version = ALL
        await self._fetch_program()
        await self._fetch_twin()
        await self._fetch_uplift()

    async def _fetch_program(self) -> None:
        if not self.program_id:
            return
        start, end = self._dates()
        view = await self._call(api.analytics.program, self.program_id, self._version(), start, end)
        self.versions = [[ALL, "All versions"], *[[str(v), f"Version {v}"] for v in view.versions]]
        self.enrolled, self.completed = rows.count(view.enrolled), rows.count(view.completed)
        self.completion, self.adherence = rows.rate(view.completion_rate), rows.rate(view.adherence)
        self.suppressed = len(view.suppressed)
        self.funnel_points, funnel = rows.funnel(view)
        self.funnel_rows = self._table("funnel", funnel)
        self.metric_points, metrics = rows.metrics(view)
        self.metric_rows = self._table("metrics", metrics)
        self.adherence_points, adherence = rows.adherence(view)
        self.adherence_rows = self._table("adherence", adherence)
        self.goal_rows = self._table("goals", rows.goals(view))
        retained = await self._call(api.analytics.retention, self.program_id, self._version(), start, end)
        self.retention_points, table = rows.retention(retained)
        self.retention_header = table[0]
        self.retention_rows = self._table("retention", table)
        found = (await self._call(api.analytics.experiments, self.program_id)).experiments
        self.experiment_header, self.experiment_rows, self.experiment_warning = [], [], ""
        if found:
            table = rows.experiment(found[0])
            self.experiment_header = table[0]
            self.experiment_rows = self._table("experiment", table)
            self.experiment_warning = found[0].result.warning or ""

    async def _fetch_twin(self) -> None:
        start, end = self._dates()
        self.twin_points, summary, modes = rows.twin(await self._call(api.analytics.twin, start, end))
        self.twin_rows = self._table("twin", summary)
        self.mode_rows = self._table("twin-modes", modes)

    async def _fetch_uplift(self) -> None:
        found = []
        for t in (await self._call(api.engagement.triggers)).triggers:
            if t.holdout_percent or t.enabled:
                found.append(rows.uplift(t.name, await self._call(api.analytics.uplift, str(t.id))))
        self.uplift_rows = self._table("uplift", (rows.UPLIFT_HEADER, found))
        self.uplift_points = [{"trigger": r[0], "contacted": _pct(r[3]), "held out": _pct(r[4])} for r in found]

    @event
    async def load(self) -> Redirect:
        self._clear_messages()
        redirect = await self._load_page(self._fetch)
        self.loaded = redirect is None
        return redirect

    @event
    async def set_program(self, value: str | list[str]) -> Redirect:
        self.program_id, self.version = (value if isinstance(value, str) else value[0]), ALL
        return await self._attempt(self._fetch_program)

    @event
    async def set_version(self, value: str | list[str]) -> Redirect:
        self.version = value if isinstance(value, str) else value[0]
        return await self._attempt(self._fetch_program)

    @event
    async def set_period(self, value: str | list[str]) -> Redirect:
        chosen = value if isinstance(value, str) else value[0]
        self.period = chosen if chosen in {p for p, _ in PERIODS} else ALL
        return await self._attempt(self._fetch)

    @event
    async def download_program(self) -> Redirect:
        """The API's own CSV of the program view (every section, suppressed cells empty)."""

        async def work() -> Redirect:
            start, end = self._dates()
            data = await self._call(api.analytics.export_csv, self.program_id, self._version(), start, end)
            return rx.download(data=data, filename=f"{_slug(self._program_name())}-analytics.csv")

        return await self._attempt(work)

    @event
    def download(self, name: str) -> Redirect:
        """One section's table as CSV, exactly as the page shows it."""
        table = self._tables.get(name)
        if table is None:
            return None
        return rx.download(data=rows.to_csv(table), filename=f"{name}.csv")

    def _program_name(self) -> str:
        return next((p["name"] for p in self.programs if p["id"] == self.program_id), "program")


def _pct(text: str) -> float | None:
    return float(text[:-1]) if text.endswith("%") else None


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "program"
