"""The Trainer tab: check the twin against the creator's own answers and teach it.

A gold set (questions with the answer the creator would give, optionally the document a right answer
cites; a starter set can be proposed from the persona), "Run evaluation" with progress, the scorecard over
time as a chart and a table, one run's results per question, and corrections waiting for approval."""

from __future__ import annotations

import reflex as rx
from reflex.vars import ObjectVar

from frontend.components import card, empty_state, error_callout, labeled, notice_callout, section_title, when
from frontend.components.chat import MARKDOWN
from frontend.pages.persona.trainer_state import NO_DOCUMENT, TrainerState


def gold_row(g: ObjectVar[dict[str, str]]) -> rx.Component:
    return rx.hstack(
        rx.vstack(
            rx.text(g["question"], weight="medium", size="2"),
            rx.text(g["answer"], size="1", color_scheme="gray"),
            rx.cond(g["cites"] != "", rx.badge("must cite ", g["cites"], variant="soft", size="1")),
            spacing="1", flex="1",
        ),
        rx.cond(TrainerState.can_edit,
                rx.icon_button(rx.icon("trash-2", size=14), size="1", variant="ghost", color_scheme="red",
                               aria_label="Delete gold question", on_click=TrainerState.delete_gold(g["id"]))),
        width="100%", align="start", padding_y="6px", border_bottom=f"1px solid {rx.color('gray', 4)}",
    )  # fmt: skip


def proposal_row(p: ObjectVar[dict[str, str]], index: rx.Var[int]) -> rx.Component:
    return rx.hstack(
        rx.vstack(rx.text(p["question"], weight="medium", size="2"), rx.text(p["answer"], size="1"),
                  rx.text(p["theme"], size="1", color_scheme="gray"), spacing="1", flex="1"),
        rx.button("Add", size="1", variant="soft", on_click=TrainerState.add_proposal(index)),
        width="100%", align="start",
    )  # fmt: skip


def gold_card() -> rx.Component:
    return card(
        section_title("Gold set", "badge-check"),
        rx.text("Questions with the answer you would give. An evaluation asks your twin each one.", size="2",
                color_scheme="gray"),
        rx.cond(TrainerState.gold.length() == 0,
                empty_state("list-plus", "No gold questions yet", "Add your own, or propose a starter set."),
                rx.vstack(rx.foreach(TrainerState.gold, gold_row), spacing="0", width="100%")),
        rx.cond(
            TrainerState.can_edit,
            rx.form(
                rx.vstack(
                    labeled("Question", rx.input(name="question", id="gold-question", width="100%"),
                            html_for="gold-question"),
                    labeled("Your answer", rx.text_area(name="answer", id="gold-answer", rows="3", width="100%"),
                            html_for="gold-answer"),
                    labeled("Must cite (optional)", rx.select.root(
                        rx.select.trigger(id="gold-cite", width="100%"),
                        rx.select.content(rx.select.item("No document required", value=NO_DOCUMENT),
                                          rx.foreach(TrainerState.documents,
                                                     lambda d: rx.select.item(d["title"], value=d["id"]))),
                        name="cite", default_value=NO_DOCUMENT), html_for="gold-cite"),
                    rx.hstack(rx.button("Add gold question", type="submit"),
                              rx.button(rx.icon("sparkles", size=14), "Propose a starter set", type="button",
                                        variant="soft", on_click=TrainerState.propose), wrap="wrap"),
                    spacing="2", width="100%",
                ),
                on_submit=TrainerState.add_gold, reset_on_submit=True, width="100%",
            ),
        ),
        rx.cond(TrainerState.proposals.length() > 0,
                rx.vstack(rx.heading("Proposed from your persona", as_="h3", size="2"),
                          rx.foreach(TrainerState.proposals, proposal_row), spacing="2", width="100%")),
    )  # fmt: skip


def scorecard_chart() -> rx.Component:
    return rx.box(
        rx.recharts.line_chart(
            rx.recharts.line(data_key="answered", name="answered %", stroke=rx.color("green", 9)),
            rx.recharts.line(data_key="cited", name="cited %", stroke=rx.color("indigo", 9)),
            rx.recharts.line(data_key="similarity", name="similarity %", stroke=rx.color("amber", 9)),
            rx.recharts.x_axis(data_key="when"),
            rx.recharts.y_axis(domain=[0, 100]),
            rx.recharts.legend(),
            rx.recharts.graphing_tooltip(),
            data=TrainerState.chart,
            height=220,
            width="100%",
        ),
        role="img",
        aria_label="Scorecard over time: answered, cited and similarity per evaluation",
        width="100%",
    )


def run_row(r: ObjectVar[dict[str, str]]) -> rx.Component:
    return rx.table.row(
        rx.table.cell(r["number"], " · ", when(r["when"])),
        rx.table.cell(rx.badge(r["status"], color_scheme=rx.match(r["status"], ("done", "green"), ("failed", "red"),
                                                                  "amber"))),
        rx.table.cell(r["version"]),
        rx.table.cell(r["answered"]),
        rx.table.cell(r["cited"]),
        rx.table.cell(r["similarity"]),
        rx.table.cell(rx.button("Open", size="1", variant="ghost", on_click=TrainerState.open_run(r["id"]),
                                aria_label="Open run " + r["number"])),
    )  # fmt: skip


def runs_card() -> rx.Component:
    return card(
        rx.hstack(
            section_title("Evaluations", "gauge"),
            rx.spacer(),
            rx.cond(TrainerState.can_edit,
                    rx.button(rx.icon("play", size=14), "Run evaluation", on_click=TrainerState.evaluate,
                              loading=TrainerState.running, disabled=TrainerState.gold.length() == 0)),
            width="100%", align="center",
        ),
        rx.cond(TrainerState.running & (TrainerState.run_id != ""),
                rx.vstack(rx.progress(value=TrainerState.run_progress, width="100%",
                                      aria_label="Evaluation progress"),
                          rx.text("Asking your twin: ", TrainerState.run_count, " questions scored", size="2",
                                  color_scheme="gray", role="status"), width="100%")),
        rx.cond(TrainerState.chart.length() > 1, scorecard_chart()),
        rx.cond(TrainerState.runs.length() == 0,
                rx.text("No evaluation yet.", size="2", color_scheme="gray"),
                rx.table.root(
                    rx.table.header(rx.table.row(*[rx.table.column_header_cell(h) for h in
                                                   ("When", "Status", "Persona", "Answered", "Cited", "Similarity",
                                                    "")])),
                    rx.table.body(rx.foreach(TrainerState.runs, run_row)),
                    size="1", width="100%",
                )),
    )  # fmt: skip


def result_row(r: ObjectVar[dict[str, str]]) -> rx.Component:
    return rx.box(
        rx.text(r["question"], weight="bold", size="2"),
        rx.flex(
            rx.cond(r["answered"] == "yes", rx.badge("answered", color_scheme="green"),
                    rx.badge("refused", color_scheme="gray")),
            rx.cond(r["cited"] == "yes", rx.badge("cited", color_scheme="indigo"),
                    rx.badge("not cited", color_scheme="gray")),
            rx.badge("similarity ", r["similarity"], variant="outline"),
            rx.cond(r["style"] != "", rx.badge("style ", r["style"], variant="outline")),
            rx.badge(r["mode"], variant="soft"),
            spacing="1", wrap="wrap", margin_y="4px",
        ),
        rx.text("Your answer", size="1", weight="medium"),
        rx.text(r["expected"], size="1", color_scheme="gray"),
        rx.text("Your twin", size="1", weight="medium", margin_top="4px"),
        rx.box(rx.markdown(r["reply"].to(str), component_map=MARKDOWN), class_name="ct-reply"),
        padding="10px", border_radius="8px", bg=rx.color("gray", 2), width="100%",
    )  # fmt: skip


def results_card() -> rx.Component:
    return rx.cond(
        TrainerState.results.length() > 0,
        card(
            section_title("Results per question", "list-checks"),
            rx.text("Run of ", when(TrainerState.run_when), " · persona v", TrainerState.run_version, " · ",
                    TrainerState.run_mode, size="2", color_scheme="gray"),
            rx.cond(TrainerState.run_error != "", error_callout(TrainerState.run_error)),
            rx.vstack(rx.foreach(TrainerState.results, result_row), spacing="2", width="100%"),
        ),
    )  # fmt: skip


def correction_row(c: ObjectVar[dict[str, str]]) -> rx.Component:
    return rx.hstack(
        rx.vstack(rx.text(c["question"], weight="medium", size="2"), rx.text(c["answer"], size="1"), spacing="1",
                  flex="1"),
        rx.cond(c["approved"] == "yes", rx.badge("approved", color_scheme="green"),
                rx.cond(TrainerState.is_admin,
                        rx.button("Approve", size="1", on_click=TrainerState.approve_correction(c["id"])),
                        rx.badge("waiting for an admin", color_scheme="amber"))),
        rx.cond(TrainerState.is_admin,
                rx.icon_button(rx.icon("trash-2", size=14), size="1", variant="ghost", color_scheme="red",
                               aria_label="Delete correction", on_click=TrainerState.delete_correction(c["id"]))),
        width="100%", align="start",
    )  # fmt: skip


def corrections_card() -> rx.Component:
    return card(
        section_title("Corrections", "pencil-line"),
        rx.text("Answers you corrected in the playground or a conversation. Approved ones are what your twin "
                "answers with, for the same question and questions that mean the same.", size="2",
                color_scheme="gray"),
        rx.cond(TrainerState.corrections.length() == 0, rx.text("No corrections yet.", size="2"),
                rx.vstack(rx.foreach(TrainerState.corrections, correction_row), spacing="2", width="100%")),
    )  # fmt: skip


def trainer_panel() -> rx.Component:
    return rx.vstack(
        error_callout(TrainerState.trainer_error),
        notice_callout(TrainerState.trainer_notice),
        rx.grid(
            rx.vstack(gold_card(), corrections_card(), spacing="4", width="100%"),
            rx.vstack(runs_card(), results_card(), spacing="4", width="100%"),
            columns=rx.breakpoints(initial="1", lg="2"), spacing="4", width="100%", align="start",
        ),
        spacing="4", width="100%",
    )  # fmt: skip
