"""The Channels page's Telegram and WhatsApp sections: status, connect, disconnect."""

from __future__ import annotations

import reflex as rx
from reflex.event import EventCallback

from frontend.components import card, labeled, section_title
from frontend.pages.channels.state import ChannelsState


def _secret(name: str, label: str) -> rx.Component:
    control = rx.input(name=name, id=f"ch-{name}", type="password", width="100%", auto_complete="off")
    return labeled(label, control, html_for=f"ch-{name}")


def _plain(name: str, label: str, placeholder: str = "") -> rx.Component:
    control = rx.input(name=name, id=f"ch-{name}", placeholder=placeholder, width="100%")
    return labeled(label, control, html_for=f"ch-{name}")


def _connected(lines: list[rx.Component], disconnect: EventCallback[()], label: str) -> rx.Component:
    return rx.vstack(
        *lines,
        rx.cond(ChannelsState.is_admin, rx.button(label, color_scheme="red", variant="soft", on_click=disconnect)),
        spacing="2",
    )


def telegram_card() -> rx.Component:
    form = rx.form(
        rx.vstack(
            _secret("bot_token", "Bot token"),
            _plain("api_base", "Bot API address (optional)", "https://api.telegram.org"),
            rx.button("Connect Telegram", type="submit"),
            spacing="3",
            width="100%",
        ),
        on_submit=ChannelsState.connect_telegram,
        width="100%",
    )
    status = _connected(
        [
            rx.text("Connected: @", ChannelsState.tg_bot, size="2", weight="bold"),
            rx.text("Webhook: ", rx.code(ChannelsState.tg_webhook), size="2"),
            rx.text(ChannelsState.tg_status, size="2", color_scheme="gray"),
        ],
        ChannelsState.disconnect_telegram,
        "Disconnect Telegram",
    )
    return card(
        section_title("Telegram", "send"),
        rx.text("Create a bot with @BotFather and paste its token: the webhook is set for you.", size="2"),
        rx.cond(
            ChannelsState.tg_connected,
            status,
            rx.cond(ChannelsState.is_admin, form, rx.text("Admins connect a bot.", size="2", color_scheme="gray")),
        ),
    )


def whatsapp_card() -> rx.Component:
    form = rx.form(
        rx.vstack(
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
            rx.button("Connect WhatsApp", type="submit"),
            spacing="3",
            width="100%",
        ),
        on_submit=ChannelsState.connect_whatsapp,
        width="100%",
    )
    status = _connected(
        [
            rx.text("Connected: number ", ChannelsState.wa_number, size="2", weight="bold"),
            rx.text("Webhook for your Meta app: ", rx.code(ChannelsState.wa_webhook), size="2"),
            rx.text("Template: ", ChannelsState.wa_template, size="2"),
            rx.text(ChannelsState.wa_status, size="2", color_scheme="gray"),
        ],
        ChannelsState.disconnect_whatsapp,
        "Disconnect WhatsApp",
    )
    return card(
        section_title("WhatsApp", "message-circle"),
        rx.text(
            "A WhatsApp Cloud API number. Outside the 24-hour window only your approved template is sent.", size="2"
        ),
        rx.cond(
            ChannelsState.wa_connected,
            status,
            rx.cond(ChannelsState.is_admin, form, rx.text("Admins connect a number.", size="2", color_scheme="gray")),
        ),
    )
