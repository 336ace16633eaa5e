"""Chat messages as the playground and a conversation's page show them: bubbles with the reply's mode,
grounding, consistency, safety and citation chips. The row builders turn the API's replies into the plain
rows the bubbles read."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import reflex as rx
from reflex.vars import ObjectVar

from frontend import format
from frontend.api.contracts import ChatOut, Citation, MessageOut


def citation_rows(citations: Sequence[Citation | dict[str, Any]]) -> list[dict[str, str]]:
    rows = []
    for c in citations:
        raw = c if isinstance(c, dict) else {"document_title": c.document_title, "document_id": c.document_id,
                                             "location": c.location, "text": c.text}  # fmt: skip
        rows.append(
            {
                "title": str(raw.get("document_title") or "Untitled"),
                "document_id": str(raw.get("document_id") or ""),
                "location": format.location(raw.get("location")),
                "text": str(raw.get("text") or "")[:400],
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
) -> dict[str, Any]:
    return {
        "role": "assistant",
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
    return _assistant(reply.reply, reply.mode, reply.grounded, reply.consistency, reply.safety, reply.citations)


# Who spoke, as the hub labels a stored message (the twin's own replies need no label).
_WHO = {"creator": "{author} (in person)", "program": "Program", "proactive": "Check-in from the twin"}


def stored_message(m: MessageOut) -> dict[str, Any]:
    """A message of a stored conversation, labelled with who spoke when it was not the member or the twin."""
    if m.role == "user":
        return {**user_message(m.content), "who": "", "channel": m.channel}
    row = _assistant(m.content, m.mode, m.grounded, m.consistency, m.safety, m.citations)
    label = _WHO.get(m.sender, "")
    row["who"] = label.format(author=m.author or "The coach")
    row["channel"] = m.channel
    if m.sender == "creator":
        row["mode"] = ""  # no mode, grounding or consistency: a person wrote it
    return row


def citation_chip(c: ObjectVar[dict[str, str]]) -> rx.Component:
    return rx.hover_card.root(
        rx.hover_card.trigger(
            rx.link(rx.badge(rx.icon("quote", size=10), c["title"], " ", c["location"], variant="surface", size="1"),
                    href="/knowledge/" + c["document_id"].to(str), data_testid="citation")
        ),
        rx.hover_card.content(rx.text(c["text"], size="1"), max_width="360px"),
    )  # fmt: skip


def message_bubble(m: ObjectVar[dict[str, Any]]) -> rx.Component:
    is_user = m["role"] == "user"
    who = m["who"].to(str)
    return rx.box(
        rx.cond(who != "", rx.text(who, size="1", weight="bold", color_scheme="violet", data_testid="msg-who")),
        rx.cond(
            (m["text"] == "") & (m["streaming"] == "yes"),
            rx.hstack(rx.spinner(size="1"), rx.text("Thinking…", size="2", color_scheme="gray")),
            rx.text(m["text"], size="2", white_space="pre-wrap"),
        ),
        rx.cond(
            ~is_user & (m["mode"].to(str) != ""),
            rx.vstack(
                rx.flex(
                    rx.badge(m["mode"], color_scheme=rx.cond(m["mode"] == "llm", "indigo", "amber"),
                             data_testid="reply-mode"),
                    rx.cond(m["grounded"] == "yes", rx.badge("grounded", color_scheme="green", data_testid="grounded"),
                            rx.badge("not grounded", color_scheme="gray", data_testid="grounded")),
                    rx.cond(m["consistency"].to(str) != "",
                            rx.badge("consistency ", m["consistency"], variant="outline", data_testid="consistency")),
                    rx.cond(m["safety"].to(str) != "", rx.badge(m["safety"], color_scheme="red")),
                    spacing="1",
                    wrap="wrap",
                ),
                rx.flex(rx.foreach(m["citations"].to(list[dict[str, str]]), citation_chip), spacing="1",
                        wrap="wrap"),
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
