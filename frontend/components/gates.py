"""What a page shows while it loads: a loader, then its content, or why the content is missing."""

from __future__ import annotations

from typing import Any

import reflex as rx

from frontend.components import card, empty_state, loading


def page_body(loaded: Any, content: rx.Component) -> rx.Component:
    """A loader until the page's data is `loaded`, then `content`."""
    return rx.cond(loaded, content, loading())


def detail_body(loaded: Any, error: Any, icon: str, not_found: str, *children: rx.Component) -> rx.Component:
    """One record's page: a loader until `loaded`; then a not-found state on `error`, else a card of `children`."""
    return rx.cond(~loaded, loading(), rx.cond(error != "", empty_state(icon, not_found, error), card(*children)))


def back_link(text: str, href: str) -> rx.Component:
    return rx.link(rx.hstack(rx.icon("arrow-left", size=14), rx.text(text), align="center"), href=href, size="2")
