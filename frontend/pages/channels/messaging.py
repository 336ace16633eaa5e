"""The Channels page's Telegram and WhatsApp sections: status, connect, disconnect (one card shape for both)."""

from __future__ import annotations

from typing import Any

import reflex as rx
from reflex.event import EventCallback

from frontend.components import card, labeled, section_title, when
from frontend.pages.channels.state import ChannelsState


def _secret(name: str, label: str) -> rx.Component:
    control = rx.input(name=name, id=f"ch-{name}", type="password", width="100%", auto_complete="off")
    return labeled(label, control, html_for=f"ch-{name}")


def _plain(name: str, label: str, placeholder: str = "") -> rx.Component:
    control = rx.input(name=name, id=f"ch-{name}", placeholder=placeholder, width="100%")
    return labeled(label, control, html_for=f"ch-{name}")


def _last_update(last: Any, note: Any) -> rx.Component:
    """When the last update came, in the viewer's time zone, and what else is worth knowing."""
    return rx.text(
        "Last update: ", rx.cond(last != "", when(last), "none yet"), rx.cond(note != "", rx.text.span(". ", note)),
        size="2", color_scheme="gray",
    )  # fmt: skip


def _channel_card(
    title: str,
    icon: str,
    intro: str,
    connected: Any,
    status: list[rx.Component],
    disconnect: EventCallback[()],
    fields: list[rx.Component],
    connect: EventCallback[dict[str, Any]],
    admins_do: str,
) -> rx.Component:
    """A messaging channel: its status and a disconnect button once connected, else the form to connect it
    (admins only)."""
    connected_view = rx.vstack(
        *status,
        rx.cond(
            ChannelsState.is_admin,
            rx.button(f"Disconnect {title}", color_scheme="red", variant="soft", on_click=disconnect),
        ),
        spacing="2",
    )
    form = rx.form(
        rx.vstack(*fields, rx.button(f"Connect {title}", type="submit"), spacing="3", width="100%"),
        on_submit=connect,
        width="100%",
    )
    return card(
        section_title(title, icon),
        rx.text(intro, size="2"),
        rx.cond(
            connected,
            connected_view,
            rx.cond(ChannelsState.is_admin, form, rx.text(admins_do, size="2", color_scheme="gray")),
        ),
    )


def telegram_card() -> rx.Component:
    return _channel_card(
        "Telegram",
        "send",
        "Create a bot with @BotFather and paste its token: the webhook is set for you.",
        ChannelsState.tg_connected,
        [
            rx.text("Connected: @", ChannelsState.tg_bot, size="2", weight="bold"),
            rx.text("Webhook: ", rx.code(ChannelsState.tg_webhook), size="2"),
            _last_update(ChannelsState.tg_last, ChannelsState.tg_note),
        ],
        ChannelsState.disconnect_telegram,
        [
            _secret("bot_token", "Bot token"),
            _plain("api_base", "Bot API address (optional)", "https://api.telegram.org"),
        ],
        ChannelsState.connect_telegram,
        "Admins connect a bot.",
    )


def whatsapp_card() -> rx.Component:
    return _channel_card(
        "WhatsApp",
        "message-circle",
        "A WhatsApp Cloud API number. Outside the 24-hour window only your approved template is sent.",
        ChannelsState.wa_connected,
        [
            rx.text("Connected: number ", ChannelsState.wa_number, size="2", weight="bold"),
            rx.text("Webhook for your Meta app: ", rx.code(ChannelsState.wa_webhook), size="2"),
            rx.text("Template: ", ChannelsState.wa_template, size="2"),
            _last_update(ChannelsState.wa_last, ChannelsState.wa_note),
        ],
        ChannelsState.disconnect_whatsapp,
        [
            rx.grid(
                _plain("phone_number_id", "Phone number ID"),
                _secret("access_token", "Access token"),
                _secret("app_secret", "App secret"),
                _secret("verify_token", "Verify token"),
                _plain("template_name", "Template name (outside the 24-hour window)", "checkin_reminder"),
                _plain("template_language", "Template language", "en_US"),
                columns=rx.breakpoints(initial="1", sm="2"),
                spacing="3",
                width="100%",
            ),
            _plain("wa_api_base", "Graph API address (optional)", "https://graph.facebook.com"),
        ],
        ChannelsState.connect_whatsapp,
        "Admins connect a number.",
    )
