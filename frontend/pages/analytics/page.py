"""Analytics: whether members do the work and change, per program (funnel on its own steps, adherence, metrics
first vs latest), cohorts, experiments, the nudges' uplift and the twin's quality. Every chart has its numbers
in a table beside it (for screen readers too) and as CSV; cells about fewer than 5 members are hidden."""

from __future__ import annotations

from typing import Any

import reflex as rx
from reflex.vars import Var

from frontend.components import card, choice, empty_state, error_callout, info_callout, labeled, section_title
from frontend.components.frame import layout
from frontend.components.gates import page_body
from frontend.pages.analytics.rows import FEW
from frontend.pages.analytics.state import PERIODS, AnalyticsState

S = AnalyticsState
GREEN, RED, BLUE, AMBER = rx.color("grass", 9), rx.color("tomato", 9), rx.color("indigo", 9), rx.color("amber", 9)
NOTHING_YET = (
    "Here you will see, for each published program, who does the work (check-ins answered), where members drop "
    "off (on the program's own steps), whether their self-reported metrics improve, which version works better, "
    "whether your nudges bring members back and how well the twin answers. It fills in as members enroll and "
    "answer. To explore it now, run `coachtwin demo`: a simulated cohort of 500 members over 60 days."
)


CELL = {"padding": "6px 10px", "text_align": "left", "border_bottom": f"1px solid {rx.color('gray', 5)}"}


def data_table(label: str, header: Any, body: Any, name: str) -> rx.Component:
    """A chart's numbers: a labelled table people and screen readers can read, and its CSV. A plain table in
    one focusable scroll region (Radix's table scrolls inside a region a keyboard cannot reach on a phone)."""
    head = (
        rx.foreach(header, lambda h: rx.el.th(h, scope="col", style=CELL))
        if isinstance(header, Var)
        else [rx.el.th(h, scope="col", style=CELL) for h in header]
    )
    return rx.vstack(
        rx.box(
            rx.el.table(
                rx.el.thead(rx.el.tr(head)),
                rx.el.tbody(rx.foreach(body, lambda r: rx.el.tr(rx.foreach(r, lambda c: rx.el.td(c, style=CELL))))),
                aria_label=label,
                style={"width": "100%", "border_collapse": "collapse", "font_size": "var(--font-size-2)"},
            ),
            role="region",
            aria_label=label,
            tab_index=0,
            overflow_x="auto",
            width="100%",
        ),
        rx.button(rx.icon("download", size=14), "CSV", size="1", variant="soft", on_click=S.download(name),
                  aria_label=f"Download {label} as CSV"),
        spacing="2",
        width="100%",
    )  # fmt: skip


def chart(label: str, graph: rx.Component) -> rx.Component:
    """A chart with a text alternative; its numbers are in the table that follows it."""
    return rx.box(graph, role="img", aria_label=f"{label} (the numbers are in the table below)", width="100%")


def bars(data: Any, x: str, series: list[tuple[str, str, Any]], height: int) -> rx.Component:
    """A bar chart of `data` by `x`, one bar per (key, name, colour) series."""
    return rx.recharts.bar_chart(
        *[rx.recharts.bar(data_key=key, name=name, fill=colour) for key, name, colour in series],
        rx.recharts.x_axis(data_key=x),
        rx.recharts.y_axis(allow_decimals=False),
        rx.recharts.legend(),
        rx.recharts.graphing_tooltip(),
        data=data,
        height=height,
        width="100%",
    )


def trend(data: Any, x: str, key: str, name: str, domain: list[int], height: int) -> rx.Component:
    return rx.recharts.line_chart(
        rx.recharts.line(data_key=key, name=name, stroke=BLUE),
        rx.recharts.x_axis(data_key=x),
        rx.recharts.y_axis(domain=domain),
        rx.recharts.graphing_tooltip(),
        data=data,
        height=height,
        width="100%",
    )


def filters() -> rx.Component:
    versions = rx.select.root(
        rx.select.trigger(aria_label="Version", id="analytics-version"),
        rx.select.content(rx.foreach(S.versions, lambda v: rx.select.item(v[1], value=v[0]))),
        value=S.version,
        on_change=S.set_version,
    )
    programs = rx.select.root(
        rx.select.trigger(aria_label="Program", id="analytics-program"),
        rx.select.content(rx.foreach(S.programs, lambda p: rx.select.item(p["name"], value=p["id"]))),
        value=S.program_id,
        on_change=S.set_program,
    )
    return rx.flex(
        rx.box(labeled("Program", programs, html_for="analytics-program"), min_width="200px"),
        rx.box(labeled("Version", versions, html_for="analytics-version"), min_width="140px"),
        rx.box(labeled("Members who enrolled", choice("Members who enrolled", PERIODS, S.period, S.set_period,
                                                       id="analytics-period"), html_for="analytics-period"),
               min_width="160px"),
        rx.spacer(),
        rx.button(rx.icon("file-down", size=14), "Download program CSV", variant="soft",
                  on_click=S.download_program, align_self="end"),
        gap="3",
        wrap="wrap",
        width="100%",
    )  # fmt: skip


def stat(label: str, value: Any) -> rx.Component:
    return rx.vstack(
        rx.text(label, size="1", color_scheme="gray"),
        rx.text(value, size="5", weight="bold"),
        spacing="0",
        min_width="120px",
    )


def program_card() -> rx.Component:
    funnel = rx.recharts.bar_chart(
        rx.recharts.bar(data_key="reached", name="reached", fill=BLUE),
        rx.recharts.bar(data_key="dropped", name="dropped there", fill=RED),
        rx.recharts.x_axis(type_="number"),
        rx.recharts.y_axis(data_key="step", type_="category", width=170, interval=0),
        rx.recharts.legend(),
        rx.recharts.graphing_tooltip(),
        data=S.funnel_points,
        layout="vertical",
        height=420,
        width="100%",
    )
    metrics = bars(
        S.metric_points,
        "metric",
        [("first", "first answer (mean)", AMBER), ("latest", "latest answer (mean)", GREEN)],
        240,
    )
    adherence = bars(S.adherence_points, "bucket", [("members", "members", BLUE)], 220)
    return card(
        section_title("Program", "route"),
        rx.flex(
            stat("Members enrolled", S.enrolled),
            stat("Completed", S.completed),
            stat("Completion rate", S.completion),
            stat("Adherence", S.adherence),
            gap="4",
            wrap="wrap",
        ),
        rx.cond(S.suppressed > 0, rx.text(S.suppressed, " figures hidden: they describe ", FEW, ".", size="1",
                                          color_scheme="gray")),
        rx.heading("Funnel: where members drop off", as_="h3", size="3"),
        chart("Funnel: members who reached each step of the program and who dropped there", funnel),
        data_table("Funnel by step", ["Step", "Members who reached it", "Dropped there",
                                      "Median time to the next step"], S.funnel_rows, "funnel"),
        rx.heading("Self-reported metrics: first vs latest answer", as_="h3", size="3"),
        rx.cond(S.metric_rows.length() == 0,
                rx.text("No metric yet: mark a scale or number check-in as a metric in the builder.", size="2",
                        color_scheme="gray"),
                rx.vstack(chart("Each metric's mean first and latest answer", metrics),
                          data_table("Metrics first vs latest", ["Metric", "Members (n)", "First (mean)",
                                                                 "Latest (mean)", "Change", "95% interval",
                                                                 "Improved"], S.metric_rows, "metrics"),
                          width="100%")),
        rx.heading("Adherence: members by share of check-ins answered", as_="h3", size="3"),
        chart("Members by the share of their check-ins they answered", adherence),
        data_table("Adherence distribution", ["Share of check-ins answered", "Members"], S.adherence_rows,
                   "adherence"),
        rx.cond(S.goal_rows.length() > 0,
                data_table("Goals", ["Goal", "Members who reached it", "Share", "Median time from enrollment"],
                           S.goal_rows, "goals")),
    )  # fmt: skip


def cohorts_card() -> rx.Component:
    line = trend(S.retention_points, "week", "active", "active (%)", [0, 100], 220)
    return card(
        section_title("Cohorts and retention", "calendar-range"),
        rx.text("Members grouped by the week they enrolled; the share of each group active in each week after.",
                size="2", color_scheme="gray"),
        rx.cond(S.retention_rows.length() == 0,
                rx.text("No cohort yet in this period.", size="2", color_scheme="gray"),
                rx.vstack(chart("Share of members active in each week after enrolling, all cohorts", line),
                          data_table("Retention by enrollment week", S.retention_header, S.retention_rows,
                                     "retention"), width="100%")),
    )  # fmt: skip


def experiments_card() -> rx.Component:
    return card(
        section_title("Experiments", "flask-conical"),
        rx.cond(S.experiment_rows.length() == 0,
                rx.text("No experiment on this program. Publish a second version and start an A/B test: new "
                        "members get one version or the other, and the outcome you pick decides.", size="2",
                        color_scheme="gray"),
                rx.vstack(rx.cond(S.experiment_warning != "", info_callout(S.experiment_warning, icon="info")),
                          data_table("Experiment result", S.experiment_header, S.experiment_rows, "experiment"),
                          width="100%")),
    )  # fmt: skip


def uplift_card() -> rx.Component:
    chart_ = bars(
        S.uplift_points,
        "trigger",
        [
            ("contacted", "contacted: active again in 48 h (%)", GREEN),
            ("held out", "held out: active again in 48 h (%)", AMBER),
        ],
        220,
    )
    return card(
        section_title("Engagement uplift", "bell-ring"),
        rx.cond(S.uplift_rows.length() == 0,
                rx.text("No trigger yet. Give a trigger a holdout on the Engagement page: the members held out show "
                        "what would have happened without the nudge.", size="2", color_scheme="gray"),
                rx.vstack(chart("Share active again within 48 hours: contacted members vs the holdout", chart_),
                          data_table("Uplift by trigger", ["Trigger", "Contacted", "Held out",
                                                            "Active again in 48 h (contacted)",
                                                            "Active again in 48 h (held out)", "Uplift",
                                                            "95% interval", "Note"], S.uplift_rows, "uplift"),
                          width="100%")),
    )  # fmt: skip


def twin_card() -> rx.Component:
    line = trend(S.twin_points, "day", "consistency", "persona consistency (mean)", [0, 1], 200)
    return card(
        section_title("Twin quality", "sparkles"),
        data_table("Twin quality", ["Twin quality", "Value"], S.twin_rows, "twin"),
        rx.cond(S.mode_rows.length() > 0,
                data_table("Replies by mode", ["Mode", "Replies", "Grounded", "Refused"], S.mode_rows, "twin-modes")),
        rx.cond(S.twin_points.length() > 0, chart("Persona consistency of the twin's replies by day", line)),
    )  # fmt: skip


def overview_card() -> rx.Component:
    return card(
        section_title("Overview", "layout-dashboard"),
        data_table("Programs overview", ["Program", "Members enrolled", "Completion", "Adherence", "Experiment"],
                   S.overview_rows, "overview"),
    )  # fmt: skip


def analytics_page() -> rx.Component:
    return layout(
        error_callout(S.error),
        page_body(
            S.loaded,
            rx.cond(
                S.programs.length() == 0,
                card(empty_state("chart-line", "Nothing to measure yet", NOTHING_YET)),
                rx.vstack(
                    card(filters()),
                    overview_card(),
                    program_card(),
                    cohorts_card(),
                    experiments_card(),
                    uplift_card(),
                    twin_card(),
                    spacing="4",
                    width="100%",
                ),
            ),
        ),
        title="Analytics",
        subtitle="Whether members do the work and change: per program, per version, per nudge.",
    )
