"""Conversations: browse member and playground conversations, filter flagged ones, read a thread."""

from __future__ import annotations

from typing import Any

import reflex as rx

from frontend import api
from frontend.components import card, empty_state, layout
from frontend.components.gates import back_link, detail_body, feature_body
from frontend.feature_state import load_feature
from frontend.pages.persona import message_bubble, reply_message
from frontend.state import AuthState

FILTERS = ["all", "flagged", "low consistency", "members", "playground"]
LOW = 0.5


def conversation_row(c: dict[str, Any]) -> dict[str, str]:
    low = c.get("min_consistency")
    return {
        "id": str(c.get("id", "")),
        "title": str(c.get("title") or "Untitled conversation"),
        "kind": str(c.get("kind") or ""),
        "flagged": "yes" if c.get("flagged") else "",
        "reason": str(c.get("flag_reason") or ""),
        "low": "" if low is None else f"{float(low):.2f}",
        "updated": str(c.get("updated_at") or "")[:16].replace("T", " "),
    }


class ConversationsState(AuthState):
    available: bool = True
    loaded: bool = False
    error: str = ""
    filter: str = "all"
    rows: list[dict[str, str]] = []

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
        self.rows = [conversation_row(c) for c in await self.call(api.conversations, **kwargs)]

    @rx.event
    async def load(self) -> Any:
        self.error = ""
        return await load_feature(self, self._fetch)

    @rx.event
    async def set_filter(self, value: str | list[str]) -> Any:
        self.filter = value if isinstance(value, str) else (value[0] if value else "all")
        return await self.load()


def row(c: rx.Var) -> rx.Component:
    return rx.link(
        rx.hstack(
            rx.icon(rx.cond(c["kind"] == "member", "user", "flask-conical"), size=16),
            rx.vstack(
                rx.text(c["title"], weight="medium", size="2"),
                rx.text(c["kind"], " · ", c["updated"], size="1", color_scheme="gray"),
                spacing="0",
                flex="1",
            ),
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
        feature_body(
            ConversationsState.loaded,
            ConversationsState.available,
            card(
                rx.segmented_control.root(
                    *[rx.segmented_control.item(f.capitalize(), value=f) for f in FILTERS],
                    value=ConversationsState.filter,
                    on_change=ConversationsState.set_filter,
                ),
                rx.cond(
                    ConversationsState.rows.length() == 0,  # type: ignore[attr-defined]
                    empty_state("messages-square", "No conversations here",
                                "Conversations appear when members or your team talk with the twin."),
                    rx.vstack(rx.foreach(ConversationsState.rows, row), spacing="1", width="100%"),
                ),
            ),
            "Conversations",
        ),
        title="Conversations",
        subtitle="What members ask, and how the twin answers.",
    )  # fmt: skip


class ThreadState(AuthState):
    thread_loaded: bool = False
    thread_error: str = ""
    thread_title: str = ""
    thread_meta: str = ""
    thread: list[dict[str, Any]] = []

    @rx.event
    async def load(self) -> Any:
        self.thread_loaded, self.thread_error, self.thread = False, "", []
        redirect = await self._load_signed_in(self._fetch_thread, self._not_found)
        self.thread_loaded = redirect is None
        return redirect

    async def _fetch_thread(self) -> None:
        conv = await self.call(api.conversation, self.router.url.path.rstrip("/").rsplit("/", 1)[-1])
        self.thread_title = str(conv.get("title") or "Conversation")
        self.thread_meta = f"{conv.get('kind', '')} · started {str(conv.get('created_at', ''))[:16]}"
        self.thread = [
            {"role": "user", "text": m.get("content", ""), "citations": [], "mode": "", "streaming": ""}
            if m.get("role") == "user"
            else reply_message({**m, "reply": m.get("content", "")})
            for m in conv.get("messages") or []
        ]

    def _not_found(self, exc: api.ApiError) -> None:
        self.thread_error = (
            "This conversation does not exist in your workspace." if exc.status in {400, 404, 422} else exc.detail
        )


def thread_page() -> rx.Component:
    return layout(
        back_link("All conversations", "/conversations"),
        detail_body(
            ThreadState.thread_loaded,
            ThreadState.thread_error,
            "message-square-x",
            "Conversation not found",
            rx.heading(ThreadState.thread_title, size="4", data_testid="thread-title"),
            rx.text(ThreadState.thread_meta, size="1", color_scheme="gray"),
            rx.vstack(rx.foreach(ThreadState.thread, message_bubble), spacing="2", width="100%", align="stretch"),
        ),
        title="Conversation",
    )  # fmt: skip
