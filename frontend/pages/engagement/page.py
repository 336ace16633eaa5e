"""Engagement: the creator's triggers (create one, edit one with a field per parameter of its kind, switch on
and off, preview who would be reached now and who would be held back and why, delete) and the scheduler's
decision log, filtered by outcome, its times in the viewer's own time zone."""

from __future__ import annotations

import reflex as rx
from reflex.vars import ObjectVar

from frontend.components import (
    card,
    choice,
    empty_state,
    error_callout,
    labeled,
    notice_callout,
    section_title,
    when,
)
from frontend.components.frame import layout
from frontend.components.gates import page_body
from frontend.pages.engagement.params import FIELDS, Field, field_id
from frontend.pages.engagement.state import ACTIONS, KINDS, OUTCOMES, EngagementState


def row(t: ObjectVar[dict[str, str]]) -> rx.Component:
    return rx.hstack(
        rx.switch(
            checked=t["enabled"] != "",
            on_change=lambda on: EngagementState.toggle(t["id"], on),
            aria_label="On: " + t["name"],
        ),
        rx.vstack(
            rx.text(t["name"], weight="medium", size="2"),
            rx.text(t["kind"], " · ", t["action"], size="1", color_scheme="gray"),
            spacing="0",
            flex="1",
        ),
        rx.cond(t["holdout"] != "", rx.badge(t["holdout"], variant="outline")),
        rx.button("Preview", size="1", variant="soft", on_click=EngagementState.preview(t["id"]),
                  aria_label="Preview " + t["name"]),
        rx.button("Edit", size="1", variant="soft", on_click=EngagementState.edit(t["id"]),
                  aria_label="Edit " + t["name"]),
        rx.button("Delete", size="1", variant="ghost", color_scheme="red", on_click=EngagementState.remove(t["id"]),
                  aria_label="Delete " + t["name"]),
        align="center",
        width="100%",
        padding="8px",
        data_testid="trigger-row",
    )  # fmt: skip


def param_field(kind: str, f: Field) -> rx.Component:
    control_id = field_id(kind, f.key)
    control = rx.input(
        id=control_id,
        value=EngagementState.fields.to(dict[str, str])[f.key].to(str),
        on_change=lambda v: EngagementState.set_field(f.key, v),
        width="100%" if not f.number else "200px",
        **({"type": "number", "min": 0} if f.number else {}),
    )
    return labeled(f.label, control, html_for=control_id, hint=f.hint)


def kind_fields() -> rx.Component:
    """The chosen kind's parameters, one labelled field each (a safety flag has none)."""
    return rx.match(
        EngagementState.kind,
        *[
            (
                kind,
                rx.vstack(*[param_field(kind, f) for f in fields], spacing="3", width="100%")
                if fields
                else rx.text(
                    "No settings: it fires when a member's message is flagged.", size="2", color_scheme="gray"
                ),
            )
            for kind, fields in FIELDS.items()
        ],
        rx.fragment(),
    )


def editor() -> rx.Component:
    return rx.form(
        rx.vstack(
            labeled("Trigger name", rx.input(id="trigger-name", value=EngagementState.name,
                                             on_change=EngagementState.set_name, placeholder="e.g. Quiet for 3 days",
                                             width="100%"), html_for="trigger-name"),
            rx.hstack(
                labeled("When", choice("When", KINDS, EngagementState.kind, EngagementState.set_kind,
                                       id="trigger-kind"), html_for="trigger-kind"),
                labeled("Then", choice("Then", ACTIONS, EngagementState.action, EngagementState.set_action,
                                       id="trigger-action"), html_for="trigger-action"),
                spacing="3",
                width="100%",
            ),
            kind_fields(),
            labeled("Topic or message", rx.input(id="trigger-text", value=EngagementState.text,
                                                 on_change=EngagementState.set_text, width="100%"),
                    html_for="trigger-text", hint="A nudge's topic, or the message ({{name}}: the member's name)."),
            labeled("Holdout percent", rx.input(id="trigger-holdout", value=EngagementState.holdout,
                                                on_change=EngagementState.set_holdout, type="number", min=0, max=100,
                                                width="200px"),
                    html_for="trigger-holdout", hint="Members kept out of this trigger to measure its effect."),
            rx.hstack(
                rx.button(rx.cond(EngagementState.editing != "", "Save changes", "Save trigger"), type="submit"),
                rx.cond(EngagementState.editing != "",
                        rx.button("Cancel editing", type="button", variant="soft", color_scheme="gray",
                                  on_click=EngagementState.cancel_edit)),
                spacing="2",
            ),
            spacing="3",
            width="100%",
        ),
        on_submit=EngagementState.save,
        width="100%",
    )  # fmt: skip


def decision_row(d: ObjectVar[dict[str, str]]) -> rx.Component:
    return rx.table.row(
        rx.table.cell(when(d["at"])),
        rx.table.cell(d["trigger"]),
        rx.table.cell(d["member"]),
        rx.table.cell(rx.badge(d["outcome"])),
        rx.table.cell(d["reason"]),
        data_testid="decision-row",
    )


def engagement_page() -> rx.Component:
    return layout(
        error_callout(EngagementState.error),
        notice_callout(EngagementState.notice),
        page_body(
            EngagementState.loaded,
            rx.vstack(
                card(
                    rx.cond(EngagementState.editing != "",
                            section_title("Edit trigger", "pencil"), section_title("New trigger", "plus")),
                    rx.cond(EngagementState.editing != "",
                            rx.text("Editing “", EngagementState.editing_name, "”.", size="2", color_scheme="gray")),
                    editor(),
                ),
                card(
                    section_title("Triggers", "bell-ring"),
                    rx.cond(
                        EngagementState.rows.length() == 0,
                        empty_state("bell-ring", "No triggers yet",
                                    "A trigger reaches out when a member goes quiet, misses check-ins or a streak."),
                        rx.vstack(rx.foreach(EngagementState.rows, row), spacing="1", width="100%"),
                    ),
                    rx.cond(
                        EngagementState.preview_of != "",
                        rx.callout(
                            rx.vstack(
                                rx.text("Preview of ", EngagementState.preview_of, ": ", EngagementState.would_send),
                                rx.foreach(EngagementState.suppressed, lambda s: rx.text(s, size="2")),
                                spacing="1",
                            ),
                            icon="eye",
                            role="status",
                            data_testid="preview",
                        ),
                    ),
                ),
                card(
                    rx.hstack(section_title("Decision log", "scroll-text"), rx.spacer(),
                              choice("Outcome", [(o, o) for o in OUTCOMES], EngagementState.outcome,
                                     EngagementState.set_outcome), width="100%", align="center"),
                    rx.cond(
                        EngagementState.decisions.length() == 0,
                        rx.text("No decisions yet.", size="2", color_scheme="gray"),
                        rx.table.root(
                            rx.table.header(rx.table.row(*[rx.table.column_header_cell(h) for h in
                                                           ("When", "Trigger", "Member", "Outcome", "Why")])),
                            rx.table.body(rx.foreach(EngagementState.decisions, decision_row)),
                            width="100%",
                        ),
                    ),
                ),
                spacing="4",
                width="100%",
            ),
        ),
        title="Engagement",
        subtitle="Reach out when members go quiet, at a decent hour and never too often.",
    )  # fmt: skip
