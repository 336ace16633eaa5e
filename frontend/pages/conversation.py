"""One conversation: its messages, each reply with its mode, grounding, consistency and citations."""

from __future__ import annotations

from typing import Any

import reflex as rx

from frontend import api
from frontend.components import layout
from frontend.components.chat import message_bubble, stored_message
from frontend.components.gates import back_link, detail_body
from frontend.state import AuthState, Redirect, event


class ThreadState(AuthState):
    thread_loaded: bool = False
    thread_error: str = ""
    thread_title: str = ""
    thread_meta: str = ""
    thread: rx.Field[list[dict[str, Any]]] = rx.field(default_factory=list)

    @event
    async def load(self) -> Redirect:
        self.thread_loaded, self.thread_error, self.thread = False, "", []
        redirect = await self._load_page(self._fetch_thread, self._not_found)
        self.thread_loaded = redirect is None
        return redirect

    async def _fetch_thread(self) -> None:
        conv = await self._call(api.twin.conversation, self._route_param("conv_id"))
        self.thread_title = conv.title or "Conversation"
        self.thread_meta = f"{conv.kind} · started {conv.created_at.isoformat()[:16]}"
        self.thread = [stored_message(m) for m in conv.messages or []]

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
