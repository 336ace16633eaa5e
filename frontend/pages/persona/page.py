"""The Persona page: the studio (readable card first, then the editable card) with the playground, and the
Trainer tab (gold set, evaluations and the scorecard, corrections)."""

from __future__ import annotations

import reflex as rx

from frontend.components import card, empty_state, error_callout, notice_callout
from frontend.components.frame import layout
from frontend.components.gates import page_body
from frontend.pages.persona.playground import playground_card
from frontend.pages.persona.state import PersonaState
from frontend.pages.persona.studio import editor_card, profile_card, readable_card, synth_card, versions_card
from frontend.pages.persona.trainer import trainer_panel
from frontend.pages.persona.trainer_state import TrainerState


def jump_links() -> rx.Component:
    """On a phone the page is long: say what is on it and jump there."""
    return rx.el.nav(
        rx.flex(
            rx.text("On this page:", size="2", color=rx.color("gray", 11)),
            *[rx.link(text, href=f"#{anchor}", size="2", underline="always")
              for text, anchor in (("Playground", "playground"), ("Persona card", "persona-card-section"),
                                   ("Versions", "versions"), ("Profile", "profile"))],
            spacing="3",
            wrap="wrap",
        ),
        aria_label="On this page",
    )  # fmt: skip


def studio_panel() -> rx.Component:
    """Synthesis first; on a phone the playground comes right after it, on a wide screen it sits beside the studio."""
    return rx.vstack(
        jump_links(),
        rx.grid(
            rx.box(synth_card(), grid_area="synth", width="100%"),
            rx.box(playground_card(), id="playground", grid_area="play",
                   position=rx.breakpoints(initial="static", lg="sticky"), top="24px", width="100%"),
            rx.box(
                rx.cond(PersonaState.has_persona,
                        rx.vstack(readable_card(),
                                  rx.box(editor_card(), id="persona-card-section", width="100%"),
                                  rx.box(versions_card(), id="versions", width="100%"),
                                  rx.box(profile_card(), id="profile", width="100%"), spacing="4", width="100%"),
                        card(empty_state("sparkles", "No persona yet",
                                         "Upload knowledge, then synthesize: your twin learns your voice."))),
                grid_area="studio",
                width="100%",
            ),
            grid_template_columns=rx.breakpoints(initial="1fr", lg="1fr 1fr"),
            grid_template_areas=rx.breakpoints(initial='"synth" "play" "studio"', lg='"synth play" "studio play"'),
            grid_template_rows=rx.breakpoints(initial="auto", lg="auto 1fr"),
            spacing="4",
            width="100%",
        ),
        spacing="4",
        width="100%",
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
