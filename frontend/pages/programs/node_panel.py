"""The builder's side panel: edit the selected node, or see the program's problems."""

from __future__ import annotations

from typing import Any

import reflex as rx
from reflex.vars import ObjectVar

from frontend.components import callout
from frontend.pages.programs.builder_state import BuilderState

S = BuilderState
KINDS = ["scale", "yes_no", "number", "free_text"]
SOURCES = ["answer", "attribute", "event"]
OPS = ["eq", "ne", "gt", "gte", "lt", "lte", "contains", "in", "exists", "missing"]
KIND_NAMES = {"start": "start", "message": "message", "checkin": "check-in", "wait": "wait",
              "condition": "condition", "goal": "milestone", "twin": "twin chat", "end": "end"}  # fmt: skip
HELP = {
    "start": "Every enrollment begins here. Connect it to the first step.",
    "message": "Sent into the member's conversation. Use {{first_name}}, {{name}} or {{day}}. Several variants "
    "(one per line) rotate on each visit.",
    "checkin": "Asks a question and waits for the answer. With an answer window, a 'timeout' exit is taken when "
    "the member does not answer in time.",
    "wait": "Pauses for a duration, or until a time of day on the member's own clock (daylight saving handled).",
    "condition": "Branches on the last answer to a check-in, a member attribute or a behaviour event. Each rule "
    "is an exit; connect the 'else' exit for everything else.",
    "goal": "Records a milestone. A streak goal counts consecutive answered check-ins.",
    "twin": "An open exchange with the twin on a topic, for up to the given number of member turns.",
    "end": "The program is complete for this member.",
}


def text_field(label: str, key: str, placeholder: str = "", multiline: bool = False, **props: Any) -> rx.Component:
    control = rx.text_area if multiline else rx.input
    return rx.vstack(
        rx.el.label(label, html_for=f"step-{key}", font_size="var(--font-size-1)", font_weight="500"),
        control(
            id=f"step-{key}",
            value=S.sel[key],
            placeholder=placeholder,
            on_change=lambda v: S.edit(key, v),
            on_blur=S.commit(key),
            width="100%",
            data_testid=f"field-{key}",
            **props,
        ),
        spacing="1",
        width="100%",
    )


def select(
    options: Any, value: Any, on_change: Any, testid: str, *, trigger_id: str = "", **props: Any
) -> rx.Component:
    """A select over `options`: a list of values, or (label, value) pairs."""
    items = (
        rx.foreach(options, lambda o: rx.select.item(o, value=o))
        if isinstance(options, rx.Var)
        else [rx.select.item(o[0], value=o[1]) if isinstance(o, tuple) else rx.select.item(o, value=o) for o in options]
    )
    return rx.select.root(
        rx.select.trigger(width="100%", data_testid=testid, **({"id": trigger_id} if trigger_id else {})),
        rx.select.content(items if isinstance(items, rx.Component) else rx.fragment(*items)),
        value=value,
        on_change=on_change,
        **props,
    )


def choice(label: str, key: str, options: Any) -> rx.Component:
    return rx.vstack(
        rx.el.label(label, html_for=f"step-{key}", font_size="var(--font-size-1)", font_weight="500"),
        select(options, S.sel[key], lambda v: S.choose(key, v), f"field-{key}", trigger_id=f"step-{key}"),
        spacing="1",
        width="100%",
    )


def rule_row(r: ObjectVar[dict[str, str]]) -> rx.Component:
    index = r["index"].to(int)
    return rx.hstack(
        rx.input(value=r["label"], on_change=lambda v: S.edit_rule(index, "label", v),
                 on_blur=S.commit_rule(index, "label"), placeholder="exit", width="90px", aria_label="Exit name",
                 data_testid="rule-label"),
        rx.box(select(OPS, r["op"], lambda v: S.choose_rule(index, "op", v), "rule-op", aria_label="Comparison"),
               width="90px"),
        rx.input(value=r["value"], on_change=lambda v: S.edit_rule(index, "value", v),
                 on_blur=S.commit_rule(index, "value"), placeholder="value", flex="1",
                 aria_label="Value to compare with", data_testid="rule-value"),
        rx.icon_button(rx.icon("x", size=14), size="1", variant="ghost", color_scheme="gray",
                       on_click=S.remove_rule(index), aria_label="Remove rule"),
        spacing="1",
        align="center",
        width="100%",
    )  # fmt: skip


def condition_fields() -> rx.Component:
    return rx.vstack(
        choice("Branch on", "source", SOURCES),
        rx.cond(S.sel["source"] == "answer", choice("Check-in", "node", S.checkin_ids)),
        rx.cond(S.sel["source"] == "attribute", text_field("Member attribute", "attribute", "e.g. timezone")),
        rx.cond(S.sel["source"] == "event", text_field("Behaviour event", "event", "e.g. missed_checkin")),
        rx.text("Rules (first match wins)", size="1", weight="medium"),
        rx.foreach(S.sel_rules, rule_row),
        rx.button(rx.icon("plus", size=14), "Add rule", size="1", variant="soft", on_click=S.add_rule,
                  data_testid="add-rule"),
        spacing="2",
        width="100%",
    )  # fmt: skip


def fields_for(node_type: Any) -> rx.Component:
    return rx.match(
        node_type,
        ("message", rx.vstack(
            text_field("Message", "text", "What the twin sends", multiline=True, rows="4"),
            text_field("Variants (optional, one per line)", "variants", "", multiline=True, rows="3"),
            width="100%",
        )),
        ("checkin", rx.vstack(
            text_field("Question", "question", "e.g. How calm did you feel today?", multiline=True, rows="3"),
            choice("Answer type", "kind", KINDS),
            rx.cond(S.sel["kind"] == "scale", rx.hstack(text_field("From", "min"), text_field("To", "max"),
                                                         width="100%")),
            text_field("Answer window in minutes (empty: no limit)", "window_minutes", "720"),
            width="100%",
        )),
        ("wait", rx.vstack(
            choice("Wait", "mode", [("for a duration", "duration"), ("until a time of day", "until")]),
            rx.cond(S.sel["mode"] == "until",
                    text_field("Time of day (HH:MM, member's time)", "until", "07:00"),
                    text_field("Minutes", "duration_minutes", "1440")),
            width="100%",
        )),
        ("condition", condition_fields()),
        ("goal", rx.vstack(
            text_field("Milestone", "name", "e.g. First week complete"),
            text_field("Streak of check-in (optional)", "streak_of", "check-in id"),
            text_field("Streak length", "target", "7"),
            width="100%",
        )),
        ("twin", rx.vstack(
            text_field("Topic", "topic", "e.g. What is in your control today?"),
            text_field("Member turns", "max_turns", "5"),
            text_field("Opening prompt (optional)", "prompt", "", multiline=True, rows="3"),
            text_field("Answer window in minutes (empty: no limit)", "window_minutes", ""),
            width="100%",
        )),
        rx.fragment(),
    )  # fmt: skip


def node_editor() -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.badge(rx.match(S.sel["type"], *KIND_NAMES.items(), S.sel["type"]), variant="solid", size="2"),
            rx.text(S.sel["id"], size="1", color=rx.color("gray", 11), font_family="monospace"),
            rx.spacer(),
            rx.icon_button(rx.icon("x", size=14), size="1", variant="ghost", color_scheme="gray",
                           on_click=S.select(""), aria_label="Close the step editor"),
            width="100%",
            align="center",
        ),
        rx.text(rx.match(S.sel["type"], *HELP.items(), ""), size="1", color=rx.color("gray", 11)),
        rx.cond(S.sel["type"] != "start", text_field("Step title (optional)", "title", "e.g. Evening chat")),
        fields_for(S.sel["type"]),
        rx.cond(
            (S.sel["type"] != "start") & S.can_edit,
            rx.button(rx.icon("trash-2", size=14), "Delete step", size="1", variant="soft", color_scheme="red",
                      on_click=S.delete_selected, data_testid="delete-node"),
        ),
        spacing="3",
        width="100%",
        data_testid="node-panel",
    )  # fmt: skip


def issue_item(i: ObjectVar[dict[str, Any]], color: str = "red", testid: str = "issue") -> rx.Component:
    """One problem or warning: pressing it selects the step it names."""
    return rx.button(
        rx.text(i["message"], size="2", text_align="left"),
        on_click=S.focus_issue(i["node_ids"].to(list[str])),
        variant="soft",
        color_scheme=color,
        high_contrast=True,
        height="auto",
        padding="8px",
        white_space="normal",
        justify="start",
        width="100%",
        data_testid=testid,
    )


def overview() -> rx.Component:
    return rx.vstack(
        rx.text("Select a step to edit it. Add steps from the palette (drag them, or press them); connect an exit "
                "(bottom dot) to the next step (top dot). Delete with the Delete key; Ctrl+Z undoes.", size="2",
                color=rx.color("gray", 11)),
        rx.cond(
            S.issues.length() > 0,
            rx.vstack(rx.heading("Problems to fix before publishing", size="2", as_="h2"),
                      rx.foreach(S.issues, lambda i: issue_item(i)), spacing="2", width="100%"),
            callout(rx.cond(S.checked_unsaved, "No problems found in this draft (not saved yet).",
                            "No problems found in the last saved draft."),
                    icon="check", color_scheme="green", size="1", width="100%"),
        ),
        rx.cond(
            S.warnings.length() > 0,
            rx.vstack(rx.heading("Warnings", size="2", as_="h2"),
                      rx.foreach(S.warnings, lambda w: issue_item(w, "amber", "program-warning")),
                      spacing="2", width="100%"),
        ),
        spacing="3",
        width="100%",
    )  # fmt: skip


def build_panel() -> rx.Component:
    return rx.cond(S.selected_id != "", node_editor(), overview())
