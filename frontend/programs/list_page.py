"""Programs: the list, a new blank program, the starter templates and importing an exported JSON file."""

from __future__ import annotations

import reflex as rx

from frontend.components import card, empty_state, error_callout, layout, section_title
from frontend.components.gates import feature_body
from frontend.programs.state import ProgramsState

IMPORT_ID = "program-import"


def program_row(p: rx.Var) -> rx.Component:
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
        rx.table.cell(rx.text(p["updated"], size="2", color_scheme="gray")),
        align="center",
        data_testid="program-row",
    )


def programs_card() -> rx.Component:
    return card(
        section_title("Your programs", "route"),
        rx.cond(
            ProgramsState.programs.length() == 0,  # type: ignore[attr-defined]
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
                rx.input(name="name", placeholder="Program name, e.g. 21 days of calm", flex="1", min_width="220px",
                         data_testid="new-program-name"),
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
        rx.upload(
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
        feature_body(
            ProgramsState.loaded,
            ProgramsState.available,
            rx.vstack(rx.cond(ProgramsState.can_edit, new_card()), programs_card(), spacing="4", width="100%"),
            "Programs",
        ),
        title="Programs",
        subtitle="Design coaching journeys on a canvas; the twin walks each member through them.",
    )
