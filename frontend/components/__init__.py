"""Pure component functions shared by the pages: layout, cards, states, badges."""

from __future__ import annotations

from typing import Any

import reflex as rx

from frontend.state import AuthState

NAV = [
    ("Home", "/", "house"),
    ("Knowledge", "/knowledge", "book-open"),
    ("Persona & playground", "/persona", "sparkles"),
    ("Programs", "/programs", "route"),
    ("Conversations", "/conversations", "messages-square"),
    ("Engagement", "/engagement", "bell-ring"),
    ("Channels", "/channels", "radio-tower"),
    ("Team", "/team", "users"),
    ("Settings", "/settings", "settings"),
]


def brand() -> rx.Component:
    return rx.hstack(
        rx.center(
            rx.icon("brain-circuit", size=18, color="white"),
            bg=rx.color("accent", 9),
            size="2",
            width="32px",
            height="32px",
            border_radius="8px",
        ),
        rx.heading("CoachTwin", size="5", weight="bold"),
        align="center",
        spacing="2",
    )


def nav_item(label: str, href: str, icon: str) -> rx.Component:
    active = (AuthState.router.url.path == href) | ((href != "/") & AuthState.router.url.path.startswith(href))
    return rx.link(
        rx.hstack(rx.icon(icon, size=18), rx.text(label, size="3"), align="center", spacing="3"),
        href=href,
        underline="none",
        color=rx.cond(active, rx.color("accent", 11), rx.color("gray", 11)),
        bg=rx.cond(active, rx.color("accent", 3), "transparent"),
        _hover={"bg": rx.color("gray", 3)},
        padding_x="12px",
        padding_y="8px",
        border_radius="8px",
        width="100%",
        data_testid=f"nav-{label.split()[0].lower()}",
    )


def user_box() -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.avatar(fallback=AuthState.initials, size="2", radius="full"),
            rx.vstack(
                rx.text(AuthState.user_name, size="2", weight="medium", data_testid="user-name"),
                rx.text(
                    AuthState.workspace_name,
                    " · ",
                    AuthState.role,
                    size="1",
                    color_scheme="gray",
                    data_testid="workspace-role",
                ),
                spacing="0",
                align="start",
            ),
            align="center",
            spacing="2",
        ),
        rx.hstack(
            rx.color_mode.button(size="2", variant="soft", aria_label="Toggle light or dark theme"),
            rx.button(
                rx.icon("log-out", size=16),
                "Sign out",
                on_click=AuthState.sign_out,
                variant="soft",
                color_scheme="gray",
                size="2",
                data_testid="sign-out",
            ),
            spacing="2",
        ),
        spacing="3",
        width="100%",
    )


def sidebar() -> rx.Component:
    return rx.vstack(
        brand(),
        rx.vstack(*[nav_item(*n) for n in NAV], spacing="1", width="100%", margin_top="16px"),
        rx.spacer(),
        user_box(),
        padding="20px",
        width="250px",
        min_width="250px",
        height="100vh",
        position="sticky",
        top="0",
        border_right=f"1px solid {rx.color('gray', 5)}",
        bg=rx.color("gray", 2),
        display=["none", "none", "none", "flex"],
    )


def topbar() -> rx.Component:
    """Navigation for narrow screens (tablet and below)."""
    return rx.hstack(
        brand(),
        rx.spacer(),
        rx.color_mode.button(size="2", variant="soft"),
        rx.menu.root(
            rx.menu.trigger(rx.icon_button(rx.icon("menu"), variant="soft", aria_label="Menu")),
            rx.menu.content(
                *[rx.menu.item(rx.link(label, href=href, underline="none")) for label, href, _ in NAV],
                rx.menu.separator(),
                rx.menu.item("Sign out", on_click=AuthState.sign_out),
            ),
        ),
        padding="12px 16px",
        width="100%",
        border_bottom=f"1px solid {rx.color('gray', 5)}",
        display=["flex", "flex", "flex", "none"],
        align="center",
    )


def layout(
    *children: rx.Component, title: str, subtitle: str = "", actions: Any = None, max_width: str = "1100px"
) -> rx.Component:
    """The signed-in frame: sidebar, page header, content. Shows a loader until the session is known."""
    header = rx.hstack(
        rx.vstack(
            rx.heading(title, size="7", data_testid="page-title"),
            rx.text(subtitle, color_scheme="gray", size="3") if subtitle else rx.fragment(),
            spacing="1",
            align="start",
        ),
        rx.spacer(),
        actions if actions is not None else rx.fragment(),
        width="100%",
        align="end",
        wrap="wrap",
        spacing="3",
    )
    return rx.hstack(
        sidebar(),
        rx.vstack(
            topbar(),
            rx.cond(
                AuthState.signed_in,
                rx.vstack(
                    header,
                    *children,
                    spacing="5",
                    width="100%",
                    max_width=max_width,
                    padding=["16px", "24px", "32px"],
                    margin_x="auto",
                ),
                rx.center(rx.spinner(size="3"), width="100%", height="60vh"),
            ),
            width="100%",
            min_width="0",
            spacing="0",
        ),
        spacing="0",
        width="100%",
        min_height="100vh",
        align="start",
    )


def card(*children: rx.Component, **props: Any) -> rx.Component:
    return rx.card(rx.vstack(*children, spacing="3", width="100%"), width="100%", size="3", **props)


def section_title(text: str, icon: str | None = None) -> rx.Component:
    return rx.hstack(
        rx.icon(icon, size=18, color=rx.color("accent", 10)) if icon else rx.fragment(),
        rx.heading(text, size="4"),
        align="center",
        spacing="2",
    )


def error_callout(message: Any, **props: Any) -> rx.Component:
    return rx.cond(
        message != "",
        rx.callout(
            message, icon="triangle-alert", color_scheme="red", role="alert", width="100%", data_testid="error", **props
        ),
    )


def notice_callout(message: Any) -> rx.Component:
    """A green confirmation, shown while `message` is not empty."""
    return rx.cond(message != "", rx.callout(message, icon="check", color_scheme="green", width="100%"))


def info_callout(message: Any, icon: str = "info", **props: Any) -> rx.Component:
    return rx.callout(message, icon=icon, color_scheme="blue", width="100%", **props)


def empty_state(icon: str, title: str, text: str, action: Any = None) -> rx.Component:
    return rx.center(
        rx.vstack(
            rx.center(
                rx.icon(icon, size=28, color=rx.color("gray", 10)),
                width="56px",
                height="56px",
                border_radius="50%",
                bg=rx.color("gray", 3),
            ),
            rx.heading(title, size="4"),
            rx.text(text, color_scheme="gray", text_align="center", max_width="420px"),
            action if action is not None else rx.fragment(),
            align="center",
            spacing="2",
        ),
        padding="40px 16px",
        width="100%",
        data_testid="empty-state",
    )


def loading(text: str = "Loading…") -> rx.Component:
    return rx.hstack(
        rx.spinner(), rx.text(text, color_scheme="gray"), padding="24px", align="center", data_testid="loading"
    )


STATUS_COLORS = {"ready": "green", "failed": "red", "processing": "blue", "queued": "gray"}


def status_badge(status: Any) -> rx.Component:
    return rx.badge(
        status,
        color_scheme=rx.match(status, ("ready", "green"), ("failed", "red"), ("processing", "blue"), "gray"),
        variant="soft",
        data_testid="status",
    )


def role_badge(role: Any) -> rx.Component:
    return rx.badge(
        role,
        color_scheme=rx.match(role, ("owner", "purple"), ("admin", "blue"), ("editor", "green"), "gray"),
        variant="soft",
    )


def auth_frame(*children: rx.Component) -> rx.Component:
    """Centered card used by sign-in, sign-up and invitation pages."""
    return rx.center(
        rx.vstack(
            brand(),
            rx.card(rx.vstack(*children, spacing="4", width="100%"), size="4", width="100%"),
            rx.color_mode.button(size="1", variant="ghost"),
            spacing="5",
            align="center",
            width="100%",
            max_width="420px",
        ),
        min_height="100vh",
        padding="16px",
        bg=rx.color("gray", 2),
    )


def labeled(label: str, control: rx.Component) -> rx.Component:
    return rx.vstack(rx.text(label, size="2", weight="medium", as_="label"), control, spacing="1", width="100%")


def choice(
    label: str, options: list[tuple[str, str]], value: Any, on_change: Any, disabled: Any = False
) -> rx.Component:
    """A drop-down whose button is named `label` for screen readers and tests; `options` are (value, text)."""
    return rx.select.root(
        rx.select.trigger(aria_label=label),
        rx.select.content(*[rx.select.item(text, value=v) for v, text in options]),
        value=value,
        on_change=on_change,
        disabled=disabled,
    )
