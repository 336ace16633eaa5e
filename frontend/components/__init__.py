"""Pure component functions shared by the pages: cards, titles, callouts, states, badges, labelled fields.

The page frames (the signed-in layout, the sign-in card) are in `frame.py`; chat bubbles in `chat.py`."""

from __future__ import annotations

from typing import Any

import reflex as rx


def card(*children: rx.Component, **props: Any) -> rx.Component:
    return rx.card(rx.vstack(*children, spacing="3", width="100%"), width="100%", size="3", **props)


def section_title(text: str, icon: str | None = None) -> rx.Component:
    return rx.hstack(
        rx.icon(icon, size=18, color=rx.color("accent", 10)) if icon else rx.fragment(),
        rx.heading(text, size="4", as_="h2"),  # the page title is the one h1
        align="center",
        spacing="2",
    )


def callout(*children: Any, **props: Any) -> rx.Component:
    """A Radix callout with readable text in both themes (the soft variant's coloured text is too faint)."""
    props.setdefault("high_contrast", True)
    return rx.callout(*children, **props)


def error_callout(message: Any, **props: Any) -> rx.Component:
    return rx.cond(
        message != "",
        callout(message, icon="triangle-alert", color_scheme="red", role="alert", width="100%",
                   data_testid="error", **props),
    )  # fmt: skip


def notice_callout(message: Any) -> rx.Component:
    """A green confirmation, shown while `message` is not empty."""
    return rx.cond(message != "", callout(message, icon="check", color_scheme="green", width="100%"))


def info_callout(message: Any, icon: str = "info", **props: Any) -> rx.Component:
    return callout(message, icon=icon, color_scheme="blue", width="100%", **props)


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
            rx.heading(title, size="4", as_="h2"),
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


def labeled(label: str, control: rx.Component, *, html_for: str, hint: str = "") -> rx.Component:
    """A visible label tied to its control (give the control `id=html_for`), so people and tests find it by name."""
    return rx.vstack(
        rx.el.label(label, html_for=html_for, font_size="var(--font-size-2)", font_weight="500"),
        control,
        rx.text(hint, size="1", color_scheme="gray") if hint else rx.fragment(),
        spacing="1",
        width="100%",
    )


def choice(
    label: str, options: list[tuple[str, str]], value: Any, on_change: Any, disabled: Any = False, id: str = ""
) -> rx.Component:
    """A drop-down whose button is named `label` for screen readers and tests; `options` are (value, text);
    `id` lets a visible `labeled(...)` point at its button."""
    return rx.select.root(
        rx.select.trigger(aria_label=label, **({"id": id} if id else {})),
        rx.select.content(*[rx.select.item(text, value=v) for v, text in options]),
        value=value,
        on_change=on_change,
        disabled=disabled,
    )


def link_button(text: Any, href: Any, *children: rx.Component, **props: Any) -> rx.Component:
    """A link that looks like a button: one element, one tab stop (a button inside a link would be two)."""
    return rx.button(rx.link(*children, text, href=href, underline="none"), as_child=True, **props)


def file_drop(label: str, *children: rx.Component, **props: Any) -> rx.Component:
    """A drop zone for files whose hidden file input has a name (`rx.upload` gives it none)."""
    zone = rx.upload(*children, **props)
    for part in zone.children[:1]:
        for control in part.children[:1]:
            control.custom_attrs["aria-label"] = label
    return zone


def when(iso: Any) -> rx.Component:
    """A time as people say it, in the viewer's own time zone: `Today at 9:30 AM`, `Yesterday at 6:02 PM`."""
    return rx.moment(iso, calendar=True, local=True)
