"""Conversations: browse member and playground conversations; filter flagged or weakly consistent ones, members
who asked for a person, conversations a creator holds, and replies members rated down."""

from __future__ import annotations

from typing import Any

import reflex as rx
from reflex.vars import ObjectVar

from frontend import api, format
from frontend.api.contracts import ConversationOut, FeedbackItem
from frontend.components import card, choice, empty_state, layout
from frontend.components.gates import page_body
from frontend.state import AuthState, PageState, Redirect, event

FILTERS = ["all", "asked for a person", "taken over", "thumbs down", "flagged", "low consistency", "members",
           "playground"]  # fmt: skip
LOW = 0.5


def conversation_row(c: ConversationOut) -> dict[str, str]:
    return {
        "id": str(c.id),
        "title": c.title or "Untitled conversation",
        "kind": c.kind,
        "flagged": "yes" if c.flagged else "",
        "reason": c.flag_reason or "",
        "low": "" if c.min_consistency is None else f"{c.min_consistency:.2f}",
        "updated": format.minute(c.updated_at),
        "handoff": "yes" if c.handoff_requested_at else "",
        "held": "yes" if c.taken_over_by else "",
        "note": "",
    }


def rated_row(f: FeedbackItem) -> dict[str, str]:
    """A reply a member rated, shown as a row that opens its conversation."""
    reply = f.reply if len(f.reply) <= 140 else f.reply[:137] + "..."
    return {
        "id": str(f.conversation_id),
        "title": f'{f.member_name}: "{reply}"',
        "kind": "member",
        "flagged": "",
        "reason": "",
        "low": "",
        "updated": format.minute(f.rated_at),
        "handoff": "",
        "held": "",
        "note": f"thumbs {f.rating}" + (f": {f.comment}" if f.comment else ""),
    }


class ConversationsState(PageState, AuthState):
    filter: str = "all"
    rows: rx.Field[list[dict[str, str]]] = rx.field(default_factory=list)

    async def _fetch(self) -> None:
        kwargs: dict[str, Any] = {}
        if self.filter == "flagged":
            kwargs["flagged"] = True
        elif self.filter == "low consistency":
            kwargs["low_consistency"] = LOW
        elif self.filter == "members":
            kwargs["kind"] = "member"
        elif self.filter == "playground":
            kwargs["kind"] = "playground"
        elif self.filter == "asked for a person":
            kwargs["handoff"] = True
        elif self.filter == "taken over":
            kwargs["taken_over"] = True
        elif self.filter == "thumbs down":
            self.rows = [rated_row(f) for f in await self._call(api.inbox.feedback, "down")]
            return
        self.rows = [conversation_row(c) for c in await self._call(api.twin.conversations, **kwargs)]

    @event
    async def load(self) -> Redirect:
        self.error = ""
        redirect = await self._load_page(self._fetch)
        self.loaded = redirect is None
        return redirect

    @event
    async def set_filter(self, value: str | list[str]) -> Redirect:
        chosen = (value if isinstance(value, str) else (value[0] if value else "all")).lower()
        self.filter = chosen if chosen in FILTERS else "all"
        self.error = ""
        return await self._attempt(self._fetch)


def row(c: ObjectVar[dict[str, str]]) -> rx.Component:
    return rx.link(
        rx.hstack(
            rx.icon(rx.cond(c["kind"] == "member", "user", "flask-conical"), size=16),
            rx.vstack(
                rx.text(c["title"], weight="medium", size="2"),
                rx.text(c["kind"], " · ", c["updated"], size="1", color_scheme="gray"),
                spacing="0",
                flex="1",
            ),
            rx.cond(c["handoff"] != "", rx.badge("asked for a person", color_scheme="orange")),
            rx.cond(c["held"] != "", rx.badge("taken over", color_scheme="violet")),
            rx.cond(c["note"] != "", rx.badge(c["note"], color_scheme="red", variant="outline")),
            rx.cond(c["flagged"] != "", rx.badge("flagged: ", c["reason"], color_scheme="red")),
            rx.cond(c["low"] != "", rx.badge("min consistency ", c["low"], variant="outline")),
            align="center",
            width="100%",
            padding="10px",
            border_radius="8px",
            _hover={"bg": rx.color("gray", 3)},
        ),
        href="/conversations/" + c["id"],
        underline="none",
        color="inherit",
        width="100%",
        data_testid="conversation-row",
    )


def conversations_page() -> rx.Component:
    return layout(
        rx.cond(ConversationsState.error != "", rx.callout(ConversationsState.error, color_scheme="red")),
        page_body(
            ConversationsState.loaded,
            card(
                choice("Show", [(f, f.capitalize()) for f in FILTERS], ConversationsState.filter,
                       ConversationsState.set_filter),
                rx.cond(
                    ConversationsState.rows.length() == 0,
                    empty_state("messages-square", "No conversations here",
                                "Conversations appear when members or your team talk with the twin."),
                    rx.vstack(rx.foreach(ConversationsState.rows, row), spacing="1", width="100%"),
                ),
            ),
        ),
        title="Conversations",
        subtitle="What members ask, and how the twin answers.",
    )  # fmt: skip
