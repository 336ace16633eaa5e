"""One conversation: its messages (who said each, the reply's mode, grounding, consistency and citations, a
correction to any reply), and
for a member's conversation the creator's controls: take over (the twin falls silent), reply as yourself,
hand back to the twin."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import reflex as rx

from frontend import api
from frontend.api.contracts import ConversationOut
from frontend.components import error_callout, when
from frontend.components.chat import CONSISTENCY, message_bubble, stored_message, with_questions
from frontend.components.frame import layout
from frontend.components.gates import back_link, detail_body
from frontend.pages.correct import correct_button, correction_dialog
from frontend.state import AuthState, Redirect, event


class ThreadState(AuthState):
    thread_loaded: bool = False
    thread_error: str = ""
    thread_title: str = ""
    thread_meta: str = ""
    thread_started: str = ""
    thread: rx.Field[list[dict[str, Any]]] = rx.field(default_factory=list)
    is_member_thread: bool = False
    held: bool = False
    held_by_me: bool = False
    handoff: str = ""  # "" when the member has not asked for a person, else what they said
    reminders: str = ""  # the member's reminder choices in words ("" for the playground)
    paused_until: str = ""  # ISO time while the member has paused reminders
    takeover_error: str = ""
    draft: str = ""

    @event
    async def load(self) -> Redirect:
        self.thread_loaded, self.thread_error, self.thread, self.takeover_error = False, "", [], ""
        redirect = await self._load_page(self._fetch_thread, self._not_found)
        self.thread_loaded = redirect is None
        return redirect

    async def _show(self, conv: ConversationOut) -> None:
        self.thread_title = conv.title or "Conversation"
        who = "Playground (your team)"
        if conv.member_id is not None:
            names = await self._call(api.members.names)
            who = names.get(str(conv.member_id), "A member")
            await self._show_reminders(str(conv.member_id))
        self.thread_meta = who
        self.thread_started = conv.created_at.isoformat()
        self.thread = with_questions([stored_message(m) for m in conv.messages or []])
        self.is_member_thread = conv.kind == "member"
        self.held = conv.taken_over_by is not None
        self.held_by_me = self.held and str(conv.taken_over_by) == self.user_id
        asked = conv.handoff_requested_at is not None
        self.handoff = (conv.handoff_reason or "(no reason given)") if asked else ""

    async def _show_reminders(self, member_id: str) -> None:
        """Why a nudge may not reach this member: their own pause, quiet hours and opt-outs."""
        prefs = await self._call(api.members.preferences, member_id)
        now = datetime.now(UTC)
        paused = prefs.paused_until is not None and prefs.paused_until > now
        self.paused_until = prefs.paused_until.isoformat() if paused and prefs.paused_until else ""
        parts = []
        if prefs.quiet_hours is not None:
            parts.append(f"quiet hours {prefs.quiet_hours.start}-{prefs.quiet_hours.end} (their time)")
        if "all" in prefs.opt_out_channels:
            parts.append("stopped all reminders")
        elif prefs.opt_out_channels:
            parts.append("no reminders on " + ", ".join(sorted(prefs.opt_out_channels)))
        self.reminders = "; ".join(parts) if parts else ("" if paused else "on, no limits set")

    async def _fetch_thread(self) -> None:
        await self._show(await self._call(api.twin.conversation, self._route_param("conv_id")))

    def _not_found(self, exc: api.ApiError) -> None:
        self.thread_error = (
            "This conversation does not exist in your workspace." if exc.status in {400, 404, 422} else exc.detail
        )

    def _takeover_failed(self, exc: api.ApiError) -> None:
        self.takeover_error = exc.detail

    @event
    def set_draft(self, value: str) -> None:
        self.draft = value

    @event
    async def take_over(self) -> Redirect:
        self.takeover_error = ""

        async def work() -> Redirect:
            await self._call(api.inbox.take_over, self._route_param("conv_id"))
            await self._fetch_thread()
            return None

        return await self._attempt(work, self._takeover_failed)

    @event
    async def release(self) -> Redirect:
        self.takeover_error = ""

        async def work() -> Redirect:
            await self._call(api.inbox.release, self._route_param("conv_id"))
            await self._fetch_thread()
            return None

        return await self._attempt(work, self._takeover_failed)

    @event
    async def send_reply(self, form: dict[str, Any]) -> Redirect:
        text = str(form.get("reply", self.draft)).strip()
        self.takeover_error = ""
        if not text:
            self.takeover_error = "Write a message first."
            return None

        async def work() -> Redirect:
            await self._call(api.inbox.reply, self._route_param("conv_id"), text)
            self.draft = ""
            await self._fetch_thread()
            return None

        return await self._attempt(work, self._takeover_failed)

    @event
    async def refresh(self) -> Redirect:
        return await self._attempt(self._fetch_thread, self._takeover_failed)


def takeover_bar() -> rx.Component:
    return rx.vstack(
        rx.cond(
            ThreadState.handoff != "",
            rx.callout("This member asked for a person: " + ThreadState.handoff, icon="hand", color_scheme="orange",
                       width="100%", data_testid="handoff"),
        ),
        rx.hstack(
            rx.cond(
                ThreadState.held,
                rx.badge(rx.cond(ThreadState.held_by_me, "You hold this conversation: the twin is silent",
                                 "A teammate holds this conversation: the twin is silent"), color_scheme="violet"),
                rx.badge("The twin answers this member", color_scheme="green"),
            ),
            rx.spacer(),
            rx.button(rx.icon("refresh-cw", size=14), "Refresh", variant="ghost", size="1",
                      on_click=ThreadState.refresh),
            rx.cond(
                ThreadState.can_edit,
                rx.cond(
                    ThreadState.held,
                    rx.button(rx.icon("bot", size=14), "Hand back to the twin", variant="soft",
                              on_click=ThreadState.release),
                    rx.button(rx.icon("user-round", size=14), "Take over", on_click=ThreadState.take_over),
                ),
            ),
            width="100%",
            align="center",
            wrap="wrap",
        ),
        error_callout(ThreadState.takeover_error),
        width="100%",
        spacing="2",
    )  # fmt: skip


def reply_box() -> rx.Component:
    return rx.form(
        rx.vstack(
            rx.text_area(name="reply", value=ThreadState.draft, on_change=ThreadState.set_draft, rows="3",
                         max_length=4000, placeholder="Write to the member as yourself…", aria_label="Your reply",
                         width="100%"),
            rx.hstack(
                rx.text("The member sees your name. Sending takes the conversation over.", size="1",
                        color=rx.color("gray", 11)),
                rx.spacer(),
                rx.button(rx.icon("send", size=14), "Send", type="submit"),
                width="100%",
                align="center",
            ),
            width="100%",
            spacing="2",
        ),
        on_submit=ThreadState.send_reply,
        reset_on_submit=False,
        width="100%",
    )  # fmt: skip


def reminders_line() -> rx.Component:
    """The member's reminder choices, as they set them on their companion page (read-only here)."""
    return rx.text(
        rx.text.strong("Reminders: "),
        rx.cond(ThreadState.paused_until != "", rx.fragment("paused until ", when(ThreadState.paused_until))),
        rx.cond((ThreadState.paused_until != "") & (ThreadState.reminders != ""), "; ", ""),
        ThreadState.reminders,
        size="2",
        color=rx.color("gray", 11),
    )


def thread_page() -> rx.Component:
    return layout(
        back_link("All conversations", "/conversations"),
        detail_body(
            ThreadState.thread_loaded,
            ThreadState.thread_error,
            "message-square-x",
            "Conversation not found",
            rx.heading(ThreadState.thread_title, size="4", as_="h2", data_testid="thread-title"),
            rx.text(ThreadState.thread_meta, " · started ", when(ThreadState.thread_started), size="2",
                    color=rx.color("gray", 11)),
            rx.cond(ThreadState.is_member_thread, reminders_line()),
            rx.text(CONSISTENCY, size="1", color=rx.color("gray", 11)),
            rx.cond(ThreadState.is_member_thread, takeover_bar()),
            correction_dialog(),
            rx.vstack(rx.foreach(ThreadState.thread, lambda m: message_bubble(m, correct_button)), spacing="2",
                      width="100%", align="stretch"),
            rx.cond(ThreadState.is_member_thread & ThreadState.can_edit, reply_box()),
        ),
        title="Conversation",
    )  # fmt: skip
