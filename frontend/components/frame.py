"""The frames every page sits in: the signed-in layout (sidebar or top bar, page header, main content) and the
centred card of the signed-out pages. Both start with a skip link and put the page in one `main` landmark."""

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
    ("Analytics", "/analytics", "chart-line"),
    ("Channels", "/channels", "radio-tower"),
    ("Team", "/team", "users"),
    ("Settings", "/settings", "settings"),
]
MAIN_ID = "main"


def skip_link() -> rx.Component:
    """The first tab stop of every page: jump past the navigation to the content."""
    return rx.el.a(
        "Skip to content",
        href=f"#{MAIN_ID}",
        position="absolute",
        left="-9999px",
        top="8px",
        z_index="100",
        padding="8px 12px",
        border_radius="8px",
        bg=rx.color("accent", 9),
        color="white",
        _focus={"left": "8px"},
    )


def main_region(*children: rx.Component, **props: Any) -> rx.Component:
    """The page's one `main` landmark, the skip link's target (focusable, without a focus ring)."""
    return rx.el.main(*children, id=MAIN_ID, tab_index=-1, outline="none", **props)


def theme_button(**props: Any) -> rx.Component:
    """Switches between the light and the dark theme; its name says which one it switches to."""
    return rx.color_mode.button(
        variant="soft",
        aria_label=rx.color_mode_cond("Switch to dark theme", "Switch to light theme"),
        title=rx.color_mode_cond("Switch to dark theme", "Switch to light theme"),
        **props,
    )


def brand() -> rx.Component:
    return rx.hstack(
        rx.center(
            rx.icon("brain-circuit", size=18, color="white", aria_hidden="true"),
            bg=rx.color("accent", 9),
            width="32px",
            height="32px",
            border_radius="8px",
        ),
        rx.text("CoachTwin", size="5", weight="bold"),
        align="center",
        spacing="2",
    )


def nav_item(label: str, href: str, icon: str) -> rx.Component:
    path = AuthState.router.url.path
    active = (path == href) | ((href != "/") & path.startswith(href))
    return rx.link(
        rx.hstack(rx.icon(icon, size=18, aria_hidden="true"), rx.text(label, size="3"), align="center", spacing="3"),
        href=href,
        underline="none",
        color=rx.cond(active, rx.color("accent", 12), rx.color("gray", 12)),
        bg=rx.cond(active, rx.color("accent", 4), "transparent"),
        aria_current=rx.cond(active, "page", "false"),
        _hover={"bg": rx.color("gray", 4)},
        padding_x="12px",
        padding_y="8px",
        border_radius="8px",
        width="100%",
        data_testid=f"nav-{label.split()[0].lower()}",
    )


def user_box() -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.avatar(fallback=AuthState.initials, size="2", radius="full", aria_hidden="true"),
            rx.vstack(
                rx.text(AuthState.user_name, size="2", weight="medium", data_testid="user-name"),
                rx.text(AuthState.workspace_name, " · ", AuthState.role, size="1", color=rx.color("gray", 11),
                        data_testid="workspace-role"),
                spacing="0",
                align="start",
            ),
            align="center",
            spacing="2",
        ),
        rx.hstack(
            theme_button(size="2"),
            rx.button(rx.icon("log-out", size=16, aria_hidden="true"), "Sign out", on_click=AuthState.sign_out,
                      variant="soft", color_scheme="gray", size="2", data_testid="sign-out"),
            spacing="2",
        ),
        spacing="3",
        width="100%",
    )  # fmt: skip


def sidebar() -> rx.Component:
    return rx.el.aside(
        rx.vstack(
            brand(),
            rx.el.nav(
                rx.vstack(*[nav_item(*n) for n in NAV], spacing="1", width="100%"),
                aria_label="Main",
                width="100%",
                margin_top="16px",
            ),
            rx.spacer(),
            user_box(),
            height="100%",
        ),
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
    return rx.el.header(
        rx.hstack(
            brand(),
            rx.spacer(),
            theme_button(size="2"),
            rx.menu.root(
                rx.menu.trigger(rx.icon_button(rx.icon("menu"), variant="soft", aria_label="Menu")),
                rx.menu.content(
                    *[rx.menu.item(rx.link(label, href=href, underline="none")) for label, href, _ in NAV],
                    rx.menu.separator(),
                    rx.menu.item("Sign out", on_click=AuthState.sign_out),
                ),
            ),
            align="center",
            width="100%",
        ),
        padding="12px 16px",
        width="100%",
        border_bottom=f"1px solid {rx.color('gray', 5)}",
        display=["block", "block", "block", "none"],
    )


def layout(
    *children: rx.Component, title: str, subtitle: str = "", actions: Any = None, max_width: str = "1100px"
) -> rx.Component:
    """The signed-in frame: sidebar, page header, content. Shows a loader until the session is known."""
    header = rx.hstack(
        rx.vstack(
            rx.heading(title, size="7", as_="h1", data_testid="page-title"),
            rx.text(subtitle, color=rx.color("gray", 11), size="3") if subtitle else rx.fragment(),
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
    return rx.fragment(
        skip_link(),
        rx.hstack(
            sidebar(),
            rx.vstack(
                topbar(),
                main_region(
                    rx.cond(
                        AuthState.signed_in,
                        rx.vstack(header, *children, spacing="5", width="100%"),
                        rx.center(rx.spinner(size="3"), width="100%", height="60vh", data_testid="loading"),
                    ),
                    width="100%",
                    max_width=max_width,
                    padding=["16px", "24px", "32px"],
                    margin_x="auto",
                ),
                width="100%",
                min_width="0",
                spacing="0",
            ),
            spacing="0",
            width="100%",
            min_height="100vh",
            align="start",
        ),
    )


def auth_frame(*children: rx.Component) -> rx.Component:
    """The centred card of the signed-out pages (sign in, sign up, invitations, password reset)."""
    return rx.fragment(
        skip_link(),
        main_region(
            rx.center(
                rx.vstack(
                    rx.link(brand(), href="/", underline="none", color="inherit", aria_label="CoachTwin home"),
                    rx.card(rx.vstack(*children, spacing="4", width="100%"), size="4", width="100%"),
                    theme_button(size="2"),
                    spacing="5",
                    align="center",
                    width="100%",
                    max_width="420px",
                ),
                min_height="100vh",
                padding="16px",
            ),
            bg=rx.color("gray", 2),
        ),
    )
