"""The confirmation dialog of destructive actions (removing a member, deleting a document)."""

from __future__ import annotations

from typing import Any

import reflex as rx


def confirm_dialog(
    title: str,
    description: list[Any],
    action: str,
    on_cancel: Any,
    on_confirm: Any,
    confirm_testid: str,
    open_: Any,
) -> rx.Component:
    return rx.alert_dialog.root(
        rx.alert_dialog.content(
            rx.alert_dialog.title(title),
            rx.alert_dialog.description(*description),
            rx.hstack(
                rx.alert_dialog.cancel(rx.button("Cancel", variant="soft", color_scheme="gray", on_click=on_cancel)),
                rx.alert_dialog.action(
                    rx.button(action, color_scheme="red", on_click=on_confirm, data_testid=confirm_testid)
                ),
                justify="end",
                spacing="3",
                margin_top="16px",
            ),
        ),
        open=open_,
    )
