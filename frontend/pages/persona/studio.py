"""The persona studio's cards: synthesis with progress, the persona card to edit and approve, its versions, and
the profile learned from the creator's knowledge made readable."""

from __future__ import annotations

from typing import Any

import reflex as rx
from reflex.vars import ArrayVar, ObjectVar

from frontend.components import card, section_title
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
        rx.text(t["label"], weight="bold", size="2"),
        rx.text(t["keywords"], size="1", color_scheme="gray"),
        rx.foreach(t["passages"].to(list[str]), lambda p: rx.blockquote(p, size="1", margin_top="6px")),
        padding="10px",
        border_radius="8px",
        bg=rx.color("gray", 2),
        width="100%",
    )


def profile_card() -> rx.Component:
    return card(
        section_title("Profile", "fingerprint"),
        rx.cond(PersonaState.address_form != "",
                rx.text("Addresses the reader as “", PersonaState.address_form, "”", size="2")),
        rx.cond(PersonaState.voice.length() > 0,
                rx.flex(rx.foreach(PersonaState.voice, lambda v: rx.badge(v["label"], ": ", v["value"],
                                                                            variant="soft", size="1")),
                        wrap="wrap", spacing="1")),
        rx.cond(PersonaState.signature_phrases.length() > 0,
                rx.vstack(rx.text("Signature phrases", weight="medium", size="2"),
                          rx.flex(rx.foreach(PersonaState.signature_phrases,
                                             lambda p: rx.badge("“", p, "”", variant="outline")),
                                  wrap="wrap", spacing="1"), spacing="1")),
        rx.grid(
            rx.vstack(rx.text("Do", weight="medium", size="2"), bullet_list(PersonaState.dos, "check", "green")),
            rx.vstack(rx.text("Don't", weight="medium", size="2"), bullet_list(PersonaState.donts, "x", "red")),
            columns=rx.breakpoints(initial="1", sm="2"),
            spacing="3",
            width="100%",
        ),
        rx.cond(PersonaState.themes.length() > 0,
                rx.vstack(rx.text("Themes", weight="medium", size="2"), rx.foreach(PersonaState.themes, theme_box),
                          spacing="2", width="100%")),
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
                rx.text_area(name="card", default_value=PersonaState.card_text, key=PersonaState.card_text,
                             rows="10", width="100%", read_only=~PersonaState.can_edit, data_testid="persona-card"),
                rx.text("Principles, one per line", size="2", weight="medium"),
                rx.text_area(name="principles", default_value=PersonaState.principles_text,
                             key=PersonaState.principles_text, rows="6", width="100%",
                             read_only=~PersonaState.can_edit),
                rx.cond(
                    PersonaState.can_edit,
                    rx.flex(
                        rx.button("Save as new version", type="submit", data_testid="persona-save"),
                        rx.cond(PersonaState.is_admin,
                                rx.text(rx.checkbox(name="approve", data_testid="persona-save-approve",
                                                    margin_right="6px"),
                                        "and approve it", as_="label", size="2")),
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
        rx.text(v["source"], " · ", v["created"], size="1", color_scheme="gray"),
        rx.spacer(),
        rx.button("Show", size="1", variant="ghost", on_click=PersonaState.open_version(v["version"]),
                  disabled=shown, data_testid="persona-version-show"),
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
                rx.vstack(rx.progress(value=PersonaState.synth_progress, width="100%"),
                          rx.text(PersonaState.synth_step, size="2", color_scheme="gray"), width="100%")),
        rx.cond(PersonaState.synth_error != "",
                rx.callout(PersonaState.synth_error, icon="triangle-alert", color_scheme="red")),
        rx.text("Learns your voice, phrases, themes and principles from your ready documents.", size="2",
                color_scheme="gray"),
    )  # fmt: skip
