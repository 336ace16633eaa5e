"""Chat messages as the playground and a conversation's page show them: bubbles with the reply's mode,
grounding, consistency, safety and citation chips. The row builders turn the API's replies into the plain
rows the bubbles read."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import msgspec
import reflex as rx
from reflex.vars import ObjectVar

from frontend import format
from frontend.api.contracts import ChatOut, Citation, MessageOut


def citation_rows(citations: Sequence[Citation | dict[str, Any]]) -> list[dict[str, str]]:
    """A reply's citations as chips: one per passage (a passage cited twice is one chip), each opening the
    document at that passage."""
    rows: list[dict[str, str]] = []
    seen: set[tuple[str, str]] = set()
    for c in citations:
        raw = c if isinstance(c, dict) else msgspec.structs.asdict(c)
        doc, passage = str(raw.get("document_id") or ""), str(raw.get("chunk_id") or "")
        place = format.location(raw.get("location"))
        key = (doc, passage or place)
        if key in seen:
            continue
        seen.add(key)
        rows.append(
            {
                "title": str(raw.get("document_title") or "Untitled"),
                "document_id": doc,
                # A correction cites the creator's own answer, not a document: nothing to open.
                "href": (f"/knowledge/{doc}" + (f"?passage={passage}" if passage else "")) if doc else "",
                "location": place,
                "text": format.from_sentence(str(raw.get("text") or ""))[:400],
            }
        )
    return rows


def _assistant(
    text: str,
    mode: str | None,
    grounded: bool | None,
    consistency: float | None,
    safety: str | None,
    citations: Sequence[Citation | dict[str, Any]],
    message_id: str = "",
) -> dict[str, Any]:
    return {
        "role": "assistant",
        "message_id": message_id,
        "question": "",  # the member's message it answers, filled in by the page that knows it
        "text": text,
        "mode": mode or "",
        "grounded": "yes" if grounded else "no",
        "consistency": "" if consistency is None else f"{consistency:.2f}",
        "safety": safety or "",
        "citations": citation_rows(citations),
        "streaming": "",
        "who": "",
    }


def user_message(text: str) -> dict[str, Any]:
    return {"role": "user", "text": text, "citations": [], "mode": "", "streaming": "", "who": ""}


def reply_message(reply: ChatOut) -> dict[str, Any]:
    """A chat turn's reply."""
    return _assistant(
        reply.reply, reply.mode, reply.grounded, reply.consistency, reply.safety, reply.citations, reply.message_id
    )


# Who spoke, as the hub labels a stored message (the twin's own replies need no label).
_WHO = {"creator": "{author} (in person)", "program": "Program", "proactive": "Check-in from the twin"}


def stored_message(m: MessageOut) -> dict[str, Any]:
    """A message of a stored conversation, labelled with who spoke when it was not the member or the twin."""
    if m.role == "user":
        return {**user_message(m.content), "who": "", "channel": m.channel}
    row = _assistant(m.content, m.mode, m.grounded, m.consistency, m.safety, m.citations, str(m.id))
    label = _WHO.get(m.sender, "")
    row["who"] = label.format(author=m.author or "The coach")
    row["channel"] = m.channel
    if m.sender == "creator":
        row["mode"] = ""  # no mode, grounding or consistency: a person wrote it
    return row


def with_questions(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each reply row carries the member's message it answers (what a correction is about)."""
    asked = ""
    out = []
    for row in rows:
        if row["role"] == "user":
            asked = str(row["text"])
        out.append({**row, "question": asked} if row["role"] == "assistant" else row)
    return out


CONSISTENCY = (
    "Consistency, 0 to 1: how much this reply sounds like you (the persona's measured voice) and stays close to "
    "your knowledge. Replies under 0.5 are worth a look."
)
MARKDOWN = {
    "p": lambda text: rx.text(text, size="2", margin_y="4px"),
    "a": lambda text, **props: rx.link(text, **props, underline="always"),
}


def citation_chip(c: ObjectVar[dict[str, str]]) -> rx.Component:
    chip = rx.badge(rx.icon("quote", size=10), c["title"], " ", c["location"], variant="surface", size="1")
    return rx.hover_card.root(
        rx.hover_card.trigger(
            rx.cond(c["href"] != "", rx.link(chip, href=c["href"], data_testid="citation"),
                    rx.box(chip, data_testid="citation"))
        ),
        rx.hover_card.content(rx.text(c["text"], size="1"), max_width="360px"),
    )  # fmt: skip


def message_bubble(
    m: ObjectVar[dict[str, Any]], action: Callable[[ObjectVar[dict[str, Any]]], rx.Component] | None = None
) -> rx.Component:
    """A message; `action` adds a control under each finished reply (e.g. "Correct this answer")."""
    is_user = m["role"] == "user"
    who = m["who"].to(str)
    return rx.box(
        rx.cond(who != "", rx.text(who, size="1", weight="bold", color_scheme="violet", data_testid="msg-who")),
        rx.cond(
            (m["text"] == "") & (m["streaming"] == "yes"),
            rx.hstack(rx.spinner(size="1"), rx.text("Thinking…", size="2", color=rx.color("gray", 11))),
            rx.cond(is_user, rx.text(m["text"], size="2", white_space="pre-wrap"),
                    rx.box(rx.markdown(m["text"].to(str), component_map=MARKDOWN), class_name="ct-reply")),
        ),
        rx.cond(
            ~is_user & (m["mode"].to(str) != ""),
            rx.vstack(
                rx.flex(
                    rx.badge(rx.cond(m["mode"] == "correction", "your answer", m["mode"]),
                             color_scheme=rx.match(m["mode"], ("llm", "indigo"), ("correction", "green"), "amber"),
                             data_testid="reply-mode"),
                    rx.cond(m["grounded"] == "yes", rx.badge("grounded", color_scheme="green", data_testid="grounded"),
                            rx.badge("not grounded", color_scheme="gray", data_testid="grounded")),
                    rx.cond(m["consistency"].to(str) != "",
                            rx.tooltip(rx.badge("sounds like you: ", m["consistency"], variant="outline",
                                                data_testid="consistency"), content=CONSISTENCY)),
                    rx.cond(m["safety"].to(str) != "", rx.badge(m["safety"], color_scheme="red")),
                    spacing="1",
                    wrap="wrap",
                ),
                rx.flex(rx.foreach(m["citations"].to(list[dict[str, str]]), citation_chip), spacing="1",
                        wrap="wrap"),
                action(m) if action is not None else rx.fragment(),
                spacing="2",
                margin_top="8px",
            ),
        ),
        align_self=rx.cond(is_user, "flex-end", "flex-start"),
        bg=rx.cond(is_user, rx.color("accent", 4), rx.color("gray", 3)),
        padding="10px 14px",
        border_radius="12px",
        max_width="90%",
        data_testid=rx.cond(is_user, "msg-user", "msg-assistant"),
    )  # fmt: skip
