"""“Correct this answer”: on a twin reply (playground, a conversation), the creator writes the answer they
would have given. Editors propose it; an admin may approve it at once. Approved corrections are what the
twin answers from then on, for that question and its paraphrases."""

from __future__ import annotations

import re
import uuid
from typing import Any

import reflex as rx
from reflex.vars import ObjectVar

from frontend import api
from frontend.api.contracts import CorrectionIn
from frontend.components import error_callout, labeled
from frontend.state import AuthState, Redirect, event

_MARKERS = re.compile(r"\s*\[\d+\]")


class CorrectionState(AuthState):
    correcting: bool = False
    correct_message_id: str = ""
    correct_question: str = ""
    correct_answer: str = ""
    correct_error: str = ""
    correct_notice: str = ""

    @event
    def start(self, message_id: str, question: str, reply: str) -> None:
        self.correct_message_id, self.correct_question = message_id, question
        # Start from the twin's words without its citation marks: the creator edits rather than retypes.
        self.correct_answer = _MARKERS.sub("", reply).replace("“", "").replace("”", "").strip()
        self.correct_error, self.correct_notice, self.correcting = "", "", True

    @event
    def set_open(self, value: bool) -> None:
        self.correcting = value

    @event
    async def submit(self, form: dict[str, Any]) -> Redirect:
        question, answer = str(form.get("question", "")).strip(), str(form.get("answer", "")).strip()
        if not question or not answer:
            self.correct_error = "Write both the question and the answer you would give."
            return None
        approve = form.get("approve") in {True, "on", "true"}
        body = CorrectionIn(
            question=question,
            answer=answer,
            message_id=uuid.UUID(self.correct_message_id) if self.correct_message_id else None,
            approved=approve,
        )

        async def work() -> Redirect:
            saved = await self._call(api.trainer.correct, body)
            self.correcting = False
            self.correct_notice = (
                "Approved: your twin answers this question with your words from now on."
                if saved.approved
                else "Proposed: an admin approves it before your twin uses it."
            )
            return None

        def failed(exc: api.ApiError) -> None:
            self.correct_error = exc.detail

        return await self._attempt(work, failed)


def correct_button(m: ObjectVar[dict[str, Any]]) -> rx.Component:
    """Under a finished twin reply, for editors and admins."""
    return rx.cond(
        CorrectionState.can_edit & (m["message_id"].to(str) != ""),
        rx.button(
            rx.icon("pencil-line", size=12),
            "Correct this answer",
            size="1",
            variant="soft",
            on_click=CorrectionState.start(m["message_id"].to(str), m["question"].to(str), m["text"].to(str)),
        ),
    )


def correction_dialog() -> rx.Component:
    return rx.fragment(
        rx.cond(CorrectionState.correct_notice != "",
                rx.callout(CorrectionState.correct_notice, icon="check", color_scheme="green", role="status")),
        rx.dialog.root(
            rx.dialog.content(
                rx.dialog.title("Correct this answer"),
                rx.dialog.description("Write the answer you would have given. Your twin answers this question, "
                                      "and questions that mean the same, with your words once it is approved.",
                                      size="2"),
                rx.form(
                    rx.vstack(
                        labeled("Question", html_for="correct-question", control=rx.text_area(
                            id="correct-question", name="question", default_value=CorrectionState.correct_question,
                            key=CorrectionState.correct_question, rows="2", width="100%")),
                        labeled("Your answer", html_for="correct-answer", control=rx.text_area(
                            id="correct-answer", name="answer", default_value=CorrectionState.correct_answer,
                            key=CorrectionState.correct_answer, rows="6", width="100%")),
                        rx.cond(CorrectionState.is_admin,
                                rx.text(rx.checkbox(name="approve", default_checked=True, margin_right="6px"),
                                        "Approve it now", as_="label", size="2")),
                        error_callout(CorrectionState.correct_error),
                        rx.hstack(
                            rx.dialog.close(rx.button("Cancel", variant="soft", color_scheme="gray", type="button")),
                            rx.button("Save correction", type="submit"),
                            justify="end", width="100%",
                        ),
                        spacing="3", width="100%",
                    ),
                    on_submit=CorrectionState.submit,
                    width="100%",
                ),
                max_width="560px",
            ),
            open=CorrectionState.correcting,
            on_open_change=CorrectionState.set_open,
        ),
    )  # fmt: skip
