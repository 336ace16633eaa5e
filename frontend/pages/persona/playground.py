"""The playground: ask the twin what a member would ask; replies stream in over the API's WebSocket (one REST
call when streaming is unavailable), with their mode, grounding and citations."""

from __future__ import annotations

from typing import Any

import reflex as rx

from frontend import api
from frontend.api.contracts import ChatOut
from frontend.components import card, error_callout, section_title
from frontend.components.chat import message_bubble, reply_message, user_message, with_questions
from frontend.pages.correct import correct_button, correction_dialog
from frontend.state import AuthState, Redirect, event

INPUT_ID = "playground-input"


class PlaygroundState(AuthState):
    messages: rx.Field[list[dict[str, Any]]] = rx.field(default_factory=list)
    conversation_id: str = ""
    chatting: bool = False
    chat_error: str = ""

    @event
    def new_conversation(self) -> None:
        self.messages, self.conversation_id, self.chat_error = [], "", ""

    @event
    def send(self, form: dict[str, Any]) -> Any:
        text = str(form.get("message", "")).strip()
        if not text or self.chatting:
            return None
        self.chat_error = ""
        thinking = {"role": "assistant", "text": "", "streaming": "yes", "citations": [], "mode": "", "who": ""}
        self.messages = [*self.messages, user_message(text), thinking]
        self.chatting = True
        return [rx.set_value(INPUT_ID, ""), PlaygroundState.stream_reply(text)]

    def _finish(self, reply: ChatOut) -> None:
        self.conversation_id = reply.conversation_id or self.conversation_id
        self.messages = with_questions([*self.messages[:-1], reply_message(reply)])

    def _chat_failed(self, exc: api.ApiError) -> None:
        self.messages = self.messages[:-1]
        self.chat_error = exc.detail

    @event(background=True)
    async def stream_reply(self, text: str) -> Any:
        """Stream over /ws/chat (tokens as they come); fall back to POST /api/v1/chat."""
        async with self:
            token, conversation_id = self.access_token, self.conversation_id

        async def add_token(piece: str) -> None:
            async with self:
                last = self.messages[-1]
                self.messages = [*self.messages[:-1], {**last, "text": last["text"] + piece}]

        async def rest_turn() -> Redirect:  # no socket: one REST call, with silent refresh
            self._finish(await self._call(api.twin.chat, text, conversation_id or None))
            return None

        streamed: ChatOut | None = None
        errors: list[api.ApiError] = []
        try:
            streamed = await api.twin.stream_chat(token, text, conversation_id or None, add_token)
        except api.ApiError as exc:
            errors.append(exc)
        async with self:
            try:
                if errors:
                    self._chat_failed(errors[0])
                elif streamed is not None:
                    self._finish(streamed)
                else:
                    return await self._attempt(rest_turn, self._chat_failed)
            finally:
                self.chatting = False
        return None


def playground_card() -> rx.Component:
    return card(
        rx.hstack(section_title("Playground", "messages-square"), rx.spacer(),
                  rx.button("New conversation", size="1", variant="soft", on_click=PlaygroundState.new_conversation),
                  width="100%", align="center"),
        # A reversed column keeps the newest message in view as replies stream in (the browser anchors it).
        rx.box(
            rx.vstack(
                rx.cond(PlaygroundState.messages.length() == 0,
                        rx.text("Ask your twin what a member would ask. Replies cite your knowledge.", size="2",
                                color=rx.color("gray", 11), padding="12px")),
                rx.foreach(PlaygroundState.messages, lambda m: message_bubble(m, correct_button)),
                width="100%",
                spacing="2",
                align="stretch",
            ),
            display="flex",
            flex_direction="column-reverse",
            width="100%",
            min_height="240px",
            max_height="60vh",
            overflow_y="auto",
            role="log",
            aria_live="polite",
            aria_label="Conversation with your twin",
            tab_index=0,
            data_testid="playground-log",
        ),
        error_callout(PlaygroundState.chat_error),
        correction_dialog(),
        rx.form(
            rx.hstack(
                rx.input(name="message", id=INPUT_ID, placeholder="How should I face a difficult day?",
                         flex="1", size="3", data_testid="playground-input", auto_complete="off",
                         aria_label="Message your twin"),
                rx.button(rx.icon("send", size=16), type="submit", size="3", loading=PlaygroundState.chatting,
                          data_testid="playground-send", aria_label="Send"),
                width="100%",
            ),
            on_submit=PlaygroundState.send,
            width="100%",
        ),
    )  # fmt: skip
