"""The Persona & playground page: the studio on one side, the playground on the other."""

from __future__ import annotations

import reflex as rx

from frontend.components import card, empty_state, error_callout, layout, notice_callout
from frontend.components.gates import page_body
from frontend.pages.persona.playground import playground_card
from frontend.pages.persona.state import PersonaState
from frontend.pages.persona.studio import editor_card, profile_card, synth_card, versions_card


def persona_page() -> rx.Component:
    return layout(
        error_callout(PersonaState.error),
        notice_callout(PersonaState.notice),
        page_body(
            PersonaState.loaded,
            rx.grid(
                rx.vstack(
                    synth_card(),
                    rx.cond(PersonaState.has_persona, rx.vstack(editor_card(), versions_card(), profile_card(),
                                                                spacing="4", width="100%"),
                            card(empty_state("sparkles", "No persona yet",
                                             "Upload knowledge, then synthesize: your twin learns your voice."))),
                    spacing="4",
                    width="100%",
                ),
                rx.box(playground_card(), position=rx.breakpoints(initial="static", lg="sticky"), top="24px",
                       width="100%"),
                columns=rx.breakpoints(initial="1", lg="2"),
                spacing="4",
                width="100%",
                align="start",
            ),
        ),
        title="Persona & playground",
        subtitle="How your twin speaks, and how it answers.",
    )  # fmt: skip
