"""The program builder: toolbar, React Flow canvas and the side panel (edit, simulate, enrollments)."""

from __future__ import annotations

import reflex as rx
from reflex.event import EventType

from frontend.components import error_callout, layout, notice_callout
from frontend.components.gates import back_link
from frontend.pages.programs.builder_state import BuilderState
from frontend.pages.programs.canvas import program_canvas
from frontend.pages.programs.enrollments import EnrollmentsState, enrollments_panel
from frontend.pages.programs.node_panel import build_panel
from frontend.pages.programs.simulator import simulate_panel

S = BuilderState


def tool(icon: str, label: str, on_click: EventType[()], testid: str, **props: object) -> rx.Component:
    return rx.tooltip(
        rx.icon_button(rx.icon(icon, size=16), variant="soft", color_scheme="gray", on_click=on_click,
                       aria_label=label, data_testid=testid, **props),
        content=label,
    )  # fmt: skip


def toolbar() -> rx.Component:
    return rx.flex(
        rx.input(value=S.name, on_change=S.set_name, size="3", font_weight="bold", width="280px",
                 read_only=~S.can_edit, aria_label="Program name", data_testid="program-name"),
        rx.badge(rx.cond(S.published_version > 0, "published v" + S.published_version.to(str), "draft"),
                 color_scheme=rx.cond(S.published_version > 0, "green", "gray"), data_testid="program-status"),
        rx.cond(S.dirty, rx.badge("unsaved changes", color_scheme="amber", variant="soft", data_testid="dirty")),
        rx.spacer(),
        rx.cond(
            S.can_edit,
            rx.hstack(
                tool("undo-2", "Undo (Ctrl+Z)", S.undo, "undo", disabled=~S.can_undo),
                tool("redo-2", "Redo (Ctrl+Shift+Z)", S.redo, "redo", disabled=~S.can_redo),
                tool("network", "Auto layout", S.layout, "auto-layout"),
                rx.button(rx.icon("save", size=16), "Save and check", variant="soft", on_click=S.save,
                          loading=S.saving, data_testid="save"),
                rx.button(rx.icon("rocket", size=16), "Publish", on_click=S.publish, loading=S.saving,
                          data_testid="publish"),
                spacing="2",
                align="center",
            ),
        ),
        tool("download", "Export as JSON", S.export, "export"),
        spacing="2",
        align="center",
        wrap="wrap",
        width="100%",
    )  # fmt: skip


def tabs() -> rx.Component:
    return rx.segmented_control.root(
        rx.segmented_control.item("Edit", value="build"),
        rx.segmented_control.item("Simulate", value="simulate"),
        rx.segmented_control.item("Enrollments", value="enrollments"),
        value=S.tab,
        on_change=[S.set_tab, EnrollmentsState.open_tab],
        width="100%",
        data_testid="builder-tabs",
    )


def side_panel() -> rx.Component:
    return rx.vstack(
        tabs(),
        rx.box(
            rx.match(S.tab, ("simulate", simulate_panel()), ("enrollments", enrollments_panel()), build_panel()),
            overflow_y="auto",
            width="100%",
            flex="1",
            padding_right="4px",
        ),
        width=["100%", "100%", "340px"],
        min_width=["0", "0", "340px"],
        height=["auto", "auto", "72vh"],
        spacing="3",
    )


def canvas() -> rx.Component:
    return rx.box(
        program_canvas(
            graph=S.canvas_graph,
            revision=S.canvas_rev,
            fit_token=S.fit_token,
            problems=S.problem_nodes,
            visited=S.sim_path,
            selected=S.selected_id,
            read_only=~S.can_edit,
            on_graph_change=S.canvas_changed,
            on_add_node=S.add_node,
            on_select=S.select,
            on_undo=S.undo,
            on_redo=S.redo,
        ),
        flex="1",
        min_width="0",
        width="100%",
        height="72vh",
    )


def builder_page() -> rx.Component:
    return layout(
        back_link("All programs", "/programs"),
        error_callout(S.error),
        notice_callout(S.notice),
        rx.cond(S.warning != "", rx.callout(S.warning, icon="triangle-alert", color_scheme="amber", width="100%",
                                             data_testid="warning")),
        rx.cond(
            ~S.loaded,
            rx.center(rx.spinner(size="3"), width="100%", height="40vh"),
            rx.cond(
                S.program_id == "",
                rx.callout("This program does not exist in your workspace.", icon="search-x", width="100%"),
                rx.vstack(
                    toolbar(),
                    rx.flex(canvas(), side_panel(), spacing="4", width="100%",
                            direction=rx.breakpoints(initial="column", md="row")),
                    spacing="3",
                    width="100%",
                ),
            ),
        ),
        title="Program builder",
        max_width="1600px",
    )  # fmt: skip
