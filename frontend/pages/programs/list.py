"""Programs: the list, a new blank program, the starter templates and importing an exported JSON file."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

import reflex as rx
from reflex.vars import ObjectVar

from frontend import api
from frontend.api.contracts import ProgramOut, ProgramSummary
from frontend.components import card, empty_state, error_callout, file_drop, section_title, when
from frontend.components.frame import layout
from frontend.components.gates import page_body
from frontend.state import AuthState, PageState, Redirect, event

IMPORT_ID = "program-import"


def summary_row(p: ProgramSummary) -> dict[str, Any]:
    return {
        "id": str(p.id),
        "name": p.name or "Untitled",
        "description": p.description,
        "status": f"published v{p.published_version}" if p.published_version else "draft",
        "enrollments": p.active_enrollments,
        "updated": p.updated_at.isoformat(),
    }


class ProgramsState(PageState, AuthState):
    programs: rx.Field[list[dict[str, Any]]] = rx.field(default_factory=list)
    templates: rx.Field[list[dict[str, str]]] = rx.field(default_factory=list)
    busy_key: str = ""

    async def _fetch(self) -> None:
        self.programs = [summary_row(p) for p in await self._call(api.programs.programs)]
        self.templates = [
            {"key": t.key, "name": t.name, "description": t.description}
            for t in await self._call(api.programs.templates)
        ]

    @event
    async def load(self) -> Redirect:
        self.error, self.busy_key = "", ""
        redirect = await self._load_page(self._fetch)
        self.loaded = redirect is None
        return redirect

    async def _open(self, make: Callable[[], Awaitable[ProgramOut]]) -> Redirect:
        """Create a program and open it in the builder."""

        async def work() -> Redirect:
            return rx.redirect(f"/programs/{(await make()).id}")

        return await self._attempt(work)

    @event
    async def create(self, form: dict[str, Any]) -> Redirect:
        name = str(form.get("name", "")).strip()
        if not name:
            self.error = "Give the program a name."
            return None
        self.error = ""
        description = str(form.get("description", "")).strip()
        return await self._open(lambda: self._call(api.programs.create, name, description))

    @event
    async def use_template(self, key: str) -> Any:
        self.busy_key, self.error = key, ""
        yield
        yield await self._open(lambda: self._call(api.programs.from_template, key))
        self.busy_key = ""

    @event
    async def import_file(self, files: list[rx.UploadFile]) -> Redirect:
        """Import a program exported from this or another workspace (a `coachtwin.program/v1` JSON file)."""
        self.error = ""
        if not files:
            return None
        raw = await files[0].read()
        try:
            body = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            self.error = "That file is not a program export (it is not JSON)."
            return None
        if not isinstance(body, dict):
            self.error = "That file is not a program export."
            return None
        return await self._open(lambda: self._call(api.programs.import_program, body))


def program_row(p: ObjectVar[dict[str, Any]]) -> rx.Component:
    return rx.table.row(
        rx.table.cell(
            rx.vstack(
                rx.link(p["name"], href="/programs/" + p["id"].to(str), weight="medium", data_testid="program-link"),
                rx.text(p["description"], size="1", color_scheme="gray", trim="both", max_width="460px"),
                spacing="1",
            )
        ),
        rx.table.cell(
            rx.badge(p["status"], variant="soft", color_scheme=rx.cond(p["status"] == "draft", "gray", "green"))
        ),
        rx.table.cell(rx.text(p["enrollments"], size="2")),
        rx.table.cell(rx.text(when(p["updated"]), size="2", color_scheme="gray")),
        align="center",
        data_testid="program-row",
    )


def programs_card() -> rx.Component:
    return card(
        section_title("Your programs", "route"),
        rx.cond(
            ProgramsState.programs.length() == 0,
            empty_state(
                "route",
                "No programs yet",
                "A program is a journey your members walk: daily messages, check-ins, waits, branches and "
                "milestones. Start blank or from a template.",
            ),
            rx.table.root(
                rx.table.header(
                    rx.table.row(
                        rx.table.column_header_cell("Program"),
                        rx.table.column_header_cell("Status"),
                        rx.table.column_header_cell("Active members"),
                        rx.table.column_header_cell("Updated"),
                    )
                ),
                rx.table.body(rx.foreach(ProgramsState.programs, program_row)),
                width="100%",
                variant="ghost",
            ),
        ),
    )


def new_card() -> rx.Component:
    return card(
        section_title("New program", "plus"),
        rx.form(
            rx.flex(
                rx.input(name="name", placeholder="e.g. 21 days of calm", flex="1", min_width="220px",
                         aria_label="Name of the new program", data_testid="new-program-name"),
                rx.button(rx.icon("plus", size=16), "Create", type="submit", data_testid="new-program-submit"),
                spacing="2",
                wrap="wrap",
                width="100%",
            ),
            on_submit=ProgramsState.create,
            reset_on_submit=True,
            width="100%",
        ),
        rx.text("Or start from a template built on the sample creators' material:", size="2", color_scheme="gray"),
        rx.grid(
            rx.foreach(
                ProgramsState.templates,
                lambda t: rx.card(
                    rx.vstack(
                        rx.text(t["name"], weight="medium"),
                        rx.text(t["description"], size="1", color_scheme="gray"),
                        rx.button("Use this template", size="1", variant="soft",
                                  loading=ProgramsState.busy_key == t["key"],
                                  on_click=ProgramsState.use_template(t["key"]),
                                  data_testid="use-template-" + t["key"].to(str)),
                        spacing="2",
                        align="start",
                    ),
                ),
            ),
            columns=rx.breakpoints(initial="1", md="2"),
            spacing="3",
            width="100%",
        ),
        file_drop(
            "Import a program from an exported .json file",
            rx.hstack(rx.icon("file-json", size=16), rx.text("Import a program (.json export)", size="2"),
                      align="center", spacing="2"),
            id=IMPORT_ID,
            accept={"application/json": [".json"]},
            max_files=1,
            on_drop=ProgramsState.import_file(rx.upload_files(upload_id=IMPORT_ID)),
            border=f"1px dashed {rx.color('gray', 7)}",
            padding="12px",
            border_radius="8px",
            width="100%",
            cursor="pointer",
            data_testid="program-import",
        ),
    )  # fmt: skip


def programs_page() -> rx.Component:
    return layout(
        error_callout(ProgramsState.error),
        page_body(
            ProgramsState.loaded,
            rx.vstack(rx.cond(ProgramsState.can_edit, new_card()), programs_card(), spacing="4", width="100%"),
        ),
        title="Programs",
        subtitle="Design coaching journeys on a canvas; the twin walks each member through them.",
    )
