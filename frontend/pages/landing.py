"""What a signed-out visitor sees: the public landing page at `/` and the styled page for a wrong address."""

from __future__ import annotations

import reflex as rx

from frontend.components import link_button
from frontend.components.frame import brand, main_region, skip_link, theme_button

FEATURES = [
    ("book-open", "Your knowledge, cited",
     "Upload your books, notes and transcripts. Your twin answers members from them and shows the passage it "
     "used, so every reply can be checked."),
    ("sparkles", "Your voice, approved by you",
     "CoachTwin learns how you write: your phrases, themes and principles. You read the persona, edit it and "
     "approve it before any member hears it."),
    ("route", "Programs that coach",
     "Design day-by-day journeys on a canvas: messages, check-ins, waits and milestones, on each member's own "
     "clock. Simulate them before you publish."),
]  # fmt: skip


def public_header() -> rx.Component:
    return rx.el.header(
        rx.hstack(
            rx.link(brand(), href="/", underline="none", color="inherit", aria_label="CoachTwin home"),
            rx.spacer(),
            theme_button(size="2"),
            link_button("Sign in", "/login", variant="soft", size="2"),
            link_button("Sign up", "/signup", size="2"),
            align="center",
            spacing="3",
            width="100%",
            max_width="1100px",
            margin_x="auto",
        ),
        padding="14px 20px",
        border_bottom=f"1px solid {rx.color('gray', 5)}",
    )


def public_frame(*children: rx.Component) -> rx.Component:
    """A signed-out page: the skip link, the header with sign in and sign up, then the page in `main`."""
    return rx.fragment(skip_link(), public_header(), main_region(*children))


def feature(icon: str, title: str, text: str) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.icon(icon, size=24, color=rx.color("accent", 11), aria_hidden="true"),
            rx.heading(title, size="4", as_="h2"),
            rx.text(text, size="3", color=rx.color("gray", 11)),
            spacing="2",
        ),
        size="3",
    )


def landing_page() -> rx.Component:
    return public_frame(
        rx.vstack(
            rx.vstack(
                rx.heading("A coaching twin that speaks in your voice, from your own knowledge", size="8",
                           as_="h1", text_align="center", max_width="760px"),
                rx.text("CoachTwin turns what you have written and taught into a digital twin that answers your "
                        "members around the clock, walks them through your programs and tells you how they are "
                        "doing. You stay the author: you approve how it speaks.", size="4",
                        color=rx.color("gray", 11), text_align="center", max_width="680px"),
                rx.flex(
                    link_button("Create your workspace", "/signup", size="3"),
                    link_button("Sign in", "/login", size="3", variant="soft"),
                    spacing="3",
                    wrap="wrap",
                    justify="center",
                ),
                align="center",
                spacing="5",
                padding_y=["40px", "64px"],
            ),
            rx.grid(*[feature(*f) for f in FEATURES], columns=rx.breakpoints(initial="1", md="3"), spacing="4",
                    width="100%"),
            rx.text("Open source. Your data stays in your workspace: no other creator sees it.", size="2",
                    color=rx.color("gray", 11), text_align="center", padding_y="32px"),
            width="100%",
            max_width="1100px",
            margin_x="auto",
            padding_x="20px",
            align="center",
        ),
    )  # fmt: skip


def not_found_page() -> rx.Component:
    return public_frame(
        rx.center(
            rx.vstack(
                rx.icon("map-pin-off", size=40, color=rx.color("gray", 11), aria_hidden="true"),
                rx.heading("This page does not exist", size="7", as_="h1", text_align="center"),
                rx.text("The address may be mistyped, or the page was moved or deleted.", size="3",
                        color=rx.color("gray", 11), text_align="center"),
                rx.flex(
                    link_button("Go to the start", "/", size="3"),
                    link_button("Programs", "/programs", size="3", variant="soft"),
                    link_button("Knowledge", "/knowledge", size="3", variant="soft"),
                    spacing="3",
                    wrap="wrap",
                    justify="center",
                ),
                align="center",
                spacing="4",
                data_testid="not-found",
            ),
            min_height="70vh",
            padding="20px",
        ),
    )  # fmt: skip
