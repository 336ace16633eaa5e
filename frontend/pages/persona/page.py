"""The Persona page: the studio (readable card first, then the editable card) with the playground, and the
Trainer tab (gold set, evaluations and the scorecard, corrections)."""

from __future__ import annotations

import reflex as rx

from frontend.components import card, empty_state, error_callout, layout, notice_callout
from frontend.components.gates import page_body
from frontend.pages.persona.playground import playground_card
from frontend.pages.persona.state import PersonaState
from frontend.pages.persona.studio import editor_card, profile_card, readable_card, synth_card, versions_card
from frontend.pages.persona.trainer import trainer_panel
from frontend.pages.persona.trainer_state import TrainerState


def studio_panel() -> rx.Component:
    return rx.grid(
        rx.vstack(
            synth_card(),
            rx.cond(PersonaState.has_persona,
                    rx.vstack(readable_card(), editor_card(), profile_card(), versions_card(), spacing="4",
                              width="100%"),
                    card(empty_state("sparkles", "No persona yet",
                                     "Upload knowledge, then synthesize: your twin learns your voice."))),
            spacing="4",
            width="100%",
        ),
        rx.box(playground_card(), position=rx.breakpoints(initial="static", lg="sticky"), top="24px", width="100%"),
        columns=rx.breakpoints(initial="1", lg="2"),
        spacing="4",
        width="100%",
        align="start",
    )  # fmt: skip


def persona_page() -> rx.Component:
    return layout(
        error_callout(PersonaState.error),
        notice_callout(PersonaState.notice),
        page_body(
            PersonaState.loaded,
            rx.tabs.root(
                rx.tabs.list(rx.tabs.trigger("Persona", value="persona"), rx.tabs.trigger("Trainer", value="trainer")),
                rx.tabs.content(studio_panel(), value="persona", padding_top="16px"),
                rx.tabs.content(trainer_panel(), value="trainer", padding_top="16px"),
                default_value="persona",
                on_change=TrainerState.open_tab,
                width="100%",
            ),
        ),
        title="Persona & playground",
        subtitle="How your twin speaks, how it answers, and how it measures up to your own answers.",
    )  # fmt: skip
