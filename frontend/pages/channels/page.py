"""The Channels page: put the chat on a site (snippet, live preview, companion link), who may embed it, how
members are identified (the secret shown once), and how it looks and greets."""

from __future__ import annotations

import reflex as rx

from frontend.components import card, choice, error_callout, labeled, notice_callout, section_title, when
from frontend.components.dialogs import confirm_dialog
from frontend.components.frame import layout
from frontend.components.gates import page_body
from frontend.pages.channels.messaging import telegram_card, whatsapp_card
from frontend.pages.channels.state import SCHEMES, ChannelsState


def copy_button(text: rx.Var[str] | str, label: str) -> rx.Component:
    return rx.button(rx.icon("copy", size=14), label, variant="soft", size="1", on_click=rx.set_clipboard(text))


def embed_card() -> rx.Component:
    return card(
        section_title("Put the chat on your site", "code"),
        rx.text("Paste this before </body> on every page where members should find the chat.", size="2"),
        rx.text_area(value=ChannelsState.snippet, read_only=True, rows="2", aria_label="Embed snippet",
                     width="100%", style={"font_family": "monospace", "font_size": "13px"}),
        rx.hstack(
            copy_button(ChannelsState.snippet, "Copy snippet"),
            rx.link("Open the companion page", href=ChannelsState.companion_url, is_external=True, size="2"),
            copy_button(ChannelsState.companion_url, "Copy companion link"),
            spacing="3",
            align="center",
            wrap="wrap",
        ),
        rx.text("The companion page is the same chat, full screen, installable on a phone.", size="1",
                color_scheme="gray"),
    )  # fmt: skip


def preview_card() -> rx.Component:
    return card(
        section_title("Live preview", "monitor-smartphone"),
        rx.text("The widget as a visitor sees it, with the saved settings. Chatting here is a real conversation.",
                size="2", color_scheme="gray"),
        rx.el.iframe(
            key=ChannelsState.preview_key,
            src_doc=ChannelsState.preview_doc,
            title="Widget preview",
            width="100%",
            height="560px",
            style={"border": f"1px solid {rx.color('gray', 6)}", "border_radius": "12px", "background": "white"},
        ),
    )  # fmt: skip


def identity_card() -> rx.Component:
    return card(
        section_title("Who members are", "fingerprint"),
        rx.text(
            "Signed-in members of your site keep one history everywhere. Your site's server signs each member's id: "
            "identity_hash = hex(HMAC-SHA256(identity secret, external_id)), and passes both to the widget "
            "(window.coachTwinSettings or CoachTwin.identify). Never put the secret in a web page.",
            size="2",
        ),
        rx.hstack(
            rx.switch(checked=ChannelsState.require_identity, on_change=ChannelsState.set_require_identity,
                      disabled=~ChannelsState.is_admin, id="require-identity"),
            rx.el.label("Require identity (anonymous visitors cannot chat)", html_for="require-identity",
                        style={"font_size": "14px"}),
            spacing="2",
            align="center",
        ),
        rx.text(rx.cond(ChannelsState.secret_set,
                        rx.fragment("An identity secret is set",
                                    rx.cond(ChannelsState.secret_rotated != "",
                                            rx.fragment(" (made ", when(ChannelsState.secret_rotated), ")")), "."),
                        "No identity secret yet: members can only chat anonymously."), size="2"),
        rx.cond(
            ChannelsState.new_secret != "",
            rx.callout(
                rx.vstack(
                    rx.text("Your new identity secret. Copy it now: it is not shown again.", weight="bold"),
                    rx.code(ChannelsState.new_secret, size="2", style={"word_break": "break-all"},
                            aria_label="New identity secret"),
                    rx.hstack(copy_button(ChannelsState.new_secret, "Copy secret"),
                              rx.button("I saved it", size="1", variant="outline", on_click=ChannelsState.hide_secret)),
                    spacing="2",
                ),
                icon="key-round",
                color_scheme="amber",
                width="100%",
            ),
        ),
        rx.cond(
            ChannelsState.is_admin,
            rx.button(rx.icon("refresh-cw", size=14), rx.cond(ChannelsState.secret_set, "Rotate identity secret",
                                                                "Create identity secret"),
                      variant="soft", on_click=rx.cond(ChannelsState.secret_set, ChannelsState.ask_rotate,
                                                       ChannelsState.rotate)),
        ),
    )  # fmt: skip


def settings_form() -> rx.Component:
    admin = ChannelsState.is_admin
    return card(
        section_title("Where and how it appears", "palette"),
        rx.form(
            rx.vstack(
                labeled("Allowed sites (one origin per line, e.g. https://www.example.com; empty: any site)",
                        rx.text_area(name="origins", id="widget-origins", default_value=ChannelsState.origins_text,
                                     rows="3", disabled=~admin, aria_label="Allowed sites", width="100%"),
                        html_for="widget-origins"),
                rx.grid(
                    labeled("Colour", rx.input(name="color", id="widget-color", type="color",
                                               default_value=ChannelsState.color, disabled=~admin,
                                               aria_label="Colour", width="80px"), html_for="widget-color"),
                    labeled("Position", choice("Position", [("right", "Bottom right"), ("left", "Bottom left")],
                                               ChannelsState.position, ChannelsState.set_position, ~admin,
                                               id="widget-position"), html_for="widget-position"),
                    labeled("Light or dark", choice("Light or dark", [(s, s.capitalize()) for s in SCHEMES],
                                                    ChannelsState.color_scheme, ChannelsState.set_color_scheme,
                                                    ~admin, id="widget-scheme"), html_for="widget-scheme"),
                    labeled("Launcher label",
                            rx.input(name="launcher_label", id="widget-launcher", max_length=40,
                                     default_value=ChannelsState.launcher_label, disabled=~admin,
                                     aria_label="Launcher label"), html_for="widget-launcher"),
                    columns=rx.breakpoints(initial="1", sm="2", md="4"),
                    spacing="3",
                    width="100%",
                ),
                labeled("Twin avatar (an https image address, optional)",
                        rx.input(name="avatar_url", id="widget-avatar", default_value=ChannelsState.avatar_url,
                                 disabled=~admin, aria_label="Twin avatar", width="100%"), html_for="widget-avatar"),
                labeled("Welcome message",
                        rx.text_area(name="welcome", id="widget-welcome", default_value=ChannelsState.welcome,
                                     rows="2", max_length=1000, disabled=~admin, aria_label="Welcome message",
                                     width="100%"), html_for="widget-welcome"),
                labeled("Starter prompts (one per line, up to 6)",
                        rx.text_area(name="starters", id="widget-starters", default_value=ChannelsState.starters_text,
                                     rows="4", disabled=~admin, aria_label="Starter prompts", width="100%"),
                        html_for="widget-starters"),
                rx.cond(admin, rx.button("Save widget settings", type="submit"),
                        rx.text("Admins change these settings.", size="2", color_scheme="gray")),
                spacing="4",
                width="100%",
            ),
            on_submit=ChannelsState.save,
            reset_on_submit=False,
            width="100%",
        ),
    )  # fmt: skip


def channels_page() -> rx.Component:
    return layout(
        error_callout(ChannelsState.error),
        notice_callout(ChannelsState.notice),
        page_body(
            ChannelsState.loaded,
            rx.vstack(embed_card(), preview_card(), settings_form(), identity_card(), telegram_card(), whatsapp_card(),
                      spacing="5", width="100%"),
        ),
        confirm_dialog(
            "Rotate the identity secret?",
            ["Identity hashes signed with the current secret stop working at once: update your site's server with "
             "the new secret right after."],
            "Rotate",
            ChannelsState.cancel_rotate,
            ChannelsState.rotate,
            "confirm-rotate",
            ChannelsState.confirm_rotate,
        ),
        title="Channels",
        subtitle="Where members reach your twin: the chat on your site, on their phone, in Telegram and WhatsApp.",
    )  # fmt: skip
