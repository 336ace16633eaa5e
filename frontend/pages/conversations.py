"""Conversations: browse member and playground conversations; filter flagged or weakly consistent ones, members
who asked for a person, conversations a creator holds, and replies members rated down."""

from __future__ import annotations

from typing import Any

import reflex as rx
from reflex.vars import ObjectVar

from frontend import api
from frontend.api.contracts import ConversationOut, FeedbackItem
from frontend.components import callout, card, choice, empty_state, when
from frontend.components.frame import layout
from frontend.components.gates import page_body
from frontend.state import AuthState, PageState, Redirect, event

FILTERS = ["all", "asked for a person", "taken over", "thumbs down", "flagged", "low consistency", "members",
           "playground"]  # fmt: skip
WEAKEST = 20  # conversations the "low consistency" filter shows, weakest reply first
HELP = {
    "low consistency": "Conversations with the replies that sound least like you, the weakest first. Consistency "
    "(0 to 1) measures how much a reply matches your persona's voice and stays close to your knowledge.",
    "flagged": "Conversations the safety check flagged: a member may need a person, not the twin.",
    "asked for a person": "Members who asked to talk with a person: take the conversation over to answer them.",
    "thumbs down": "Replies members rated down, newest first.",
}


def conversation_row(c: ConversationOut, names: dict[str, str]) -> dict[str, str]:
    scores = [m.consistency for m in c.messages or [] if m.consistency is not None]
    low = c.min_consistency if c.min_consistency is not None else min(scores, default=None)
    return {
        "id": str(c.id),
        "title": c.title or "Untitled conversation",
        "kind": c.kind,
        "who": names.get(str(c.member_id), "a member") if c.member_id else "Playground (your team)",
        "flagged": "yes" if c.flagged else "",
        "reason": c.flag_reason or "",
        "low": "" if low is None else f"{low:.2f}",
        "updated": c.updated_at.isoformat(),
        "handoff": "yes" if c.handoff_requested_at else "",
        "held": "yes" if c.taken_over_by else "",
        "note": "",
    }


def rated_row(f: FeedbackItem) -> dict[str, str]:
    """A reply a member rated, shown as a row that opens its conversation."""
    reply = f.reply if len(f.reply) <= 140 else f.reply[:137] + "..."
    return {
        "id": str(f.conversation_id),
        "title": f'"{reply}"',
        "kind": "member",
        "who": f.member_name,
        "flagged": "",
        "reason": "",
        "low": "",
        "updated": f.rated_at.isoformat(),
        "handoff": "",
        "held": "",
        "note": f"thumbs {f.rating}" + (f": {f.comment}" if f.comment else ""),
    }


class ConversationsState(PageState, AuthState):
    filter: str = "all"
    rows: rx.Field[list[dict[str, str]]] = rx.field(default_factory=list)

    async def _weakest(self) -> list[ConversationOut]:
        """The conversations holding the workspace's weakest replies, in that order (a fixed threshold listed
        nothing where every reply scored above it)."""
        order = list(dict.fromkeys(str(w.conversation_id) for w in await self._call(api.twin.weakest, 100)))
        return [await self._call(api.twin.conversation, cid) for cid in order[:WEAKEST]]

    async def _fetch(self) -> None:
        kwargs: dict[str, Any] = {}
        if self.filter == "flagged":
            kwargs["flagged"] = True
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
        if self.filter == "low consistency":
            conversations = await self._weakest()
        else:
            conversations = await self._call(api.twin.conversations, **kwargs)
        names = await self._call(api.members.names)
        self.rows = [conversation_row(c, names) for c in conversations]

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
                rx.text(c["who"], " · ", when(c["updated"]), size="1", color=rx.color("gray", 11)),
                spacing="0",
                flex="1",
            ),
            rx.cond(c["handoff"] != "", rx.badge("asked for a person", color_scheme="orange")),
            rx.cond(c["held"] != "", rx.badge("taken over", color_scheme="violet")),
            rx.cond(c["note"] != "", rx.badge(c["note"], color_scheme="red", variant="outline")),
            rx.cond(c["flagged"] != "", rx.badge("flagged: ", c["reason"], color_scheme="red")),
            rx.cond(
                c["low"] != "",
                rx.badge(
                    "least like you: ",
                    c["low"],
                    variant="outline",
                    title="The reply that sounds least like you (consistency, 0 to 1)",
                ),
            ),
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
        rx.cond(ConversationsState.error != "", callout(ConversationsState.error, color_scheme="red")),
        page_body(
            ConversationsState.loaded,
            card(
                choice("Show", [(f, f.capitalize()) for f in FILTERS], ConversationsState.filter,
                       ConversationsState.set_filter),
                rx.text(rx.match(ConversationsState.filter, *HELP.items(), ""), size="2", color=rx.color("gray", 11)),
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
