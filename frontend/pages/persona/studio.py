"""The persona studio's cards: synthesis with progress, the persona card to edit and approve, its versions, and
the profile learned from the creator's knowledge made readable."""

from __future__ import annotations

from typing import Any

import reflex as rx
from reflex.vars import ArrayVar, ObjectVar

from frontend.components import callout, card, labeled, section_title, when
from frontend.pages.persona.state import PersonaState


def bullet_list(items: ArrayVar[Any], icon: str, color: str) -> rx.Component:
    return rx.vstack(
        rx.foreach(
            items,
            lambda t: rx.hstack(rx.icon(icon, size=14, color=rx.color(color, 10), flex_shrink="0", margin_top="3px"),
                                rx.text(t, size="2"), align="start", spacing="2"),
        ),
        spacing="1",
    )  # fmt: skip


def theme_box(t: ObjectVar[dict[str, Any]]) -> rx.Component:
    return rx.box(
        rx.heading(t["label"], as_="h4", size="2"),
        rx.text(t["keywords"], size="1", color_scheme="gray"),
        rx.foreach(t["passages"].to(list[str]), lambda p: rx.blockquote(p, size="1", margin_top="6px")),
        padding="10px",
        border_radius="8px",
        bg=rx.color("gray", 2),
        width="100%",
    )


def readable_card() -> rx.Component:
    """The persona as a creator reads it: voice in words, themes with their passages, principles, phrases;
    the measured numbers behind the voice under "Details"."""
    return card(
        rx.hstack(section_title("Your persona", "fingerprint"), rx.spacer(), rx.badge("v", PersonaState.version,
                  variant="soft"), width="100%", align="center"),
        rx.cond(PersonaState.voice_summary != "",
                rx.vstack(rx.heading("Voice", as_="h3", size="3"), rx.text(PersonaState.voice_summary, size="2"),
                          spacing="1", width="100%")),
        rx.cond(PersonaState.voice.length() > 0,
                rx.accordion.root(
                    rx.accordion.item(
                        header="Details: the measures behind the voice",
                        content=rx.flex(rx.foreach(PersonaState.voice, lambda v: rx.badge(v["label"], ": ", v["value"],
                                                                                          variant="soft", size="1")),
                                        wrap="wrap", spacing="1"),
                        value="details",
                    ),
                    type="single", collapsible=True, variant="ghost", width="100%",
                )),
        rx.cond(PersonaState.themes.length() > 0,
                rx.vstack(rx.heading("Themes", as_="h3", size="3"), rx.foreach(PersonaState.themes, theme_box),
                          spacing="2", width="100%")),
        rx.cond(PersonaState.principles.length() > 0,
                rx.vstack(rx.heading("Principles", as_="h3", size="3"),
                          bullet_list(PersonaState.principles, "scale", "indigo"), spacing="1", width="100%")),
        rx.cond(PersonaState.signature_phrases.length() > 0,
                rx.vstack(rx.heading("Signature phrases", as_="h3", size="3"),
                          rx.flex(rx.foreach(PersonaState.signature_phrases,
                                             lambda p: rx.badge("“", p, "”", variant="outline")),
                                  wrap="wrap", spacing="1"), spacing="1")),
    )  # fmt: skip


def profile_card() -> rx.Component:
    return card(
        section_title("How your twin answers", "list-checks"),
        rx.grid(
            rx.vstack(rx.text("Do", weight="medium", size="2"), bullet_list(PersonaState.dos, "check", "green")),
            rx.vstack(rx.text("Don't", weight="medium", size="2"), bullet_list(PersonaState.donts, "x", "red")),
            columns=rx.breakpoints(initial="1", sm="2"),
            spacing="3",
            width="100%",
        ),
    )  # fmt: skip


def editor_card() -> rx.Component:
    return card(
        rx.hstack(
            section_title("Persona card", "id-card"),
            rx.spacer(),
            rx.badge("v", PersonaState.version, variant="soft"),
            rx.cond(PersonaState.is_approved,
                    rx.badge("approved", color_scheme="green", data_testid="persona-approved"),
                    rx.badge(PersonaState.status, color_scheme="amber")),
            width="100%",
            align="center",
        ),
        rx.form(
            rx.vstack(
                labeled("How your twin speaks (the persona card)",
                        rx.text_area(name="card", id="persona-card", default_value=PersonaState.card_text,
                                     key=PersonaState.card_text, rows="10", width="100%",
                                     read_only=~PersonaState.can_edit, data_testid="persona-card"),
                        html_for="persona-card"),
                labeled("Principles, one per line",
                        rx.text_area(name="principles", id="persona-principles",
                                     default_value=PersonaState.principles_text, key=PersonaState.principles_text,
                                     rows="6", width="100%", read_only=~PersonaState.can_edit),
                        html_for="persona-principles"),
                rx.cond(
                    PersonaState.can_edit,
                    rx.flex(
                        rx.button("Save as new version", type="submit", data_testid="persona-save"),
                        rx.cond(PersonaState.is_admin,
                                rx.checkbox("and approve it", name="approve", size="2",
                                            data_testid="persona-save-approve")),
                        spacing="3",
                        wrap="wrap",
                        align="center",
                    ),
                ),
                width="100%",
                spacing="2",
            ),
            on_submit=PersonaState.save,
            width="100%",
        ),
        rx.cond(PersonaState.is_admin & ~PersonaState.is_approved,
                rx.button(rx.icon("badge-check", size=16), "Approve version as is", on_click=PersonaState.approve,
                          color_scheme="green", data_testid="persona-approve")),
    )  # fmt: skip


def version_row(v: ObjectVar[dict[str, str]]) -> rx.Component:
    shown = PersonaState.version.to(str) == v["version"]
    return rx.hstack(
        rx.badge("v", v["version"], variant=rx.cond(shown, "solid", "soft")),
        rx.badge(v["status"], color_scheme=rx.cond(v["status"] == "approved", "green", "gray"), variant="soft"),
        rx.text(v["source"], " · ", when(v["created"]), size="1", color_scheme="gray"),
        rx.spacer(),
        rx.button("Show", size="1", variant="soft", on_click=PersonaState.open_version(v["version"]),
                  disabled=shown, aria_label="Show version " + v["version"], data_testid="persona-version-show"),
        width="100%",
        align="center",
        data_testid="persona-version",
    )  # fmt: skip


def versions_card() -> rx.Component:
    return card(
        section_title("Versions", "history"),
        rx.text("Every synthesis and edit is kept. Show one to read or edit from it; approving an earlier "
                "version rolls the twin back to it.", size="2", color_scheme="gray"),
        rx.foreach(PersonaState.versions, version_row),
    )  # fmt: skip


def synth_card() -> rx.Component:
    return card(
        rx.hstack(
            section_title("Synthesis", "wand-sparkles"),
            rx.spacer(),
            rx.cond(
                PersonaState.can_edit,
                rx.button(rx.icon("refresh-cw", size=14),
                          rx.cond(PersonaState.has_persona, "Re-synthesize", "Synthesize from my knowledge"),
                          on_click=PersonaState.synthesize, loading=PersonaState.synth_running,
                          data_testid="persona-synthesize"),
            ),
            width="100%",
            align="center",
            wrap="wrap",
        ),
        rx.cond(PersonaState.synth_running,
                rx.vstack(rx.progress(value=PersonaState.synth_progress, width="100%", aria_label="Synthesis progress"),
                          rx.text(PersonaState.synth_step, size="2", color_scheme="gray"), width="100%")),
        rx.cond(PersonaState.synth_error != "",
                callout(PersonaState.synth_error, icon="triangle-alert", color_scheme="red")),
        rx.text("Learns your voice, phrases, themes and principles from your ready documents.", size="2",
                color_scheme="gray"),
    )  # fmt: skip
