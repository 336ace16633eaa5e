"""The program builder: toolbar, React Flow canvas and the side panel (edit, simulate, enrollments)."""

from __future__ import annotations

import reflex as rx
from reflex.event import EventType

from frontend.components import callout, error_callout, notice_callout, when
from frontend.components.frame import layout
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


def versions() -> rx.Component:
    """The published versions, each with when it was published in the viewer's own time zone."""
    return rx.text(
        "Versions: ",
        rx.foreach(S.versions, lambda v: rx.text.span("v", v["version"], " (", when(v["at"]), ") ")),
        size="1",
        color_scheme="gray",
        data_testid="versions",
    )


def toolbar() -> rx.Component:
    return rx.flex(
        rx.input(value=S.name, on_change=S.set_name, size="3", font_weight="bold", width="280px", max_width="100%",
                 read_only=~S.can_edit, aria_label="Program name", data_testid="program-name"),
        rx.badge(rx.cond(S.published_version > 0, "published v" + S.published_version.to(str), "draft"),
                 color_scheme=rx.cond(S.published_version > 0, "green", "gray"), high_contrast=True,
                 data_testid="program-status"),
        rx.cond(S.versions.length() > 0, versions()),
        rx.cond(S.dirty, rx.badge("unsaved changes", color_scheme="amber", variant="soft", data_testid="dirty")),
        rx.spacer(),
        rx.cond(
            S.can_edit,
            rx.flex(
                tool("undo-2", "Undo (Ctrl+Z)", S.undo, "undo", disabled=~S.can_undo),
                tool("redo-2", "Redo (Ctrl+Shift+Z)", S.redo, "redo", disabled=~S.can_redo),
                tool("network", "Auto layout", S.layout, "auto-layout"),
                rx.button(rx.icon("save", size=16), "Save and check", variant="soft", on_click=S.save,
                          loading=S.saving, data_testid="save"),
                rx.button(rx.icon("rocket", size=16), "Publish", on_click=S.publish(False), loading=S.saving,
                          data_testid="publish"),
                spacing="2",
                align="center",
                wrap="wrap",
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
        aria_label="Side panel",
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
        width=rx.breakpoints(initial="100%", lg="340px"),
        min_width=rx.breakpoints(initial="0", lg="340px"),
        height=rx.breakpoints(initial="auto", lg="72vh"),
        spacing="3",
    )


def canvas() -> rx.Component:
    return rx.box(
        program_canvas(
            graph=S.canvas_graph,
            revision=S.canvas_rev,
            fit_token=S.fit_token,
            problems=S.problem_nodes,
            warned=S.warned_nodes,
            visited=S.sim_path,
            selected=S.selected_id,
            read_only=~S.can_edit,
            dirty=S.dirty,
            on_graph_change=S.canvas_changed,
            on_add_node=S.add_node,
            on_select=S.select,
            on_undo=S.undo,
            on_redo=S.redo,
        ),
        # In a column (tablet, phone) the canvas needs a height of its own: flex would give it none.
        flex=rx.breakpoints(initial="none", lg="1"),
        min_width="0",
        width="100%",
        height=rx.breakpoints(initial="64vh", lg="72vh"),
        min_height="420px",
    )


def publish_dialog() -> rx.Component:
    """Publishing a program with warnings asks first, and says what the warnings are."""
    return rx.alert_dialog.root(
        rx.alert_dialog.content(
            rx.alert_dialog.title("Publish with warnings?"),
            rx.alert_dialog.description("Members who enroll get this version as it is. Before you publish:"),
            rx.vstack(rx.foreach(S.warnings, lambda w: rx.text("• ", w["message"], size="2")), spacing="2",
                      margin_top="8px"),
            rx.hstack(
                rx.alert_dialog.cancel(rx.button("Go back and fix", variant="soft", color_scheme="gray",
                                                 on_click=S.cancel_publish)),
                rx.alert_dialog.action(rx.button("Publish anyway", color_scheme="amber", on_click=S.publish(True),
                                                 data_testid="publish-anyway")),
                justify="end",
                spacing="3",
                margin_top="16px",
            ),
        ),
        open=S.confirm_publish,
    )  # fmt: skip


def builder_page() -> rx.Component:
    return layout(
        back_link("All programs", "/programs"),
        error_callout(S.error),
        notice_callout(S.notice),
        rx.cond(S.warning != "", callout(S.warning, icon="triangle-alert", color_scheme="amber", width="100%",
                                             data_testid="warning")),
        rx.cond(
            ~S.loaded,
            rx.center(rx.spinner(size="3"), width="100%", height="40vh"),
            rx.cond(
                S.program_id == "",
                callout("This program does not exist in your workspace.", icon="search-x", width="100%"),
                rx.vstack(
                    toolbar(),
                    rx.flex(canvas(), side_panel(), spacing="4", width="100%",
                            direction=rx.breakpoints(initial="column", lg="row")),
                    spacing="3",
                    width="100%",
                ),
            ),
        ),
        publish_dialog(),
        title="Program builder",
        max_width="1600px",
    )  # fmt: skip
