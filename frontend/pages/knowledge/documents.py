"""The Knowledge page's list of documents: filter by title or tag, status as it changes, delete one."""

from __future__ import annotations

from typing import Any

import reflex as rx
from reflex.vars import ArrayVar, ObjectVar

from frontend.components import card, empty_state, section_title, status_badge, when
from frontend.components.dialogs import confirm_dialog
from frontend.pages.knowledge.state import KnowledgeState


def doc_tags(tags: ArrayVar[list[str]]) -> rx.Component:
    return rx.hstack(rx.foreach(tags, lambda t: rx.badge(t, variant="outline", size="1")), spacing="1", wrap="wrap")


def document_row(d: ObjectVar[dict[str, Any]]) -> rx.Component:
    return rx.table.row(
        rx.table.cell(
            rx.vstack(
                rx.link(d["title"], href="/knowledge/" + d["id"].to(str), weight="medium"),
                doc_tags(d["tags"].to(list[str])),
                spacing="1",
            )
        ),
        rx.table.cell(
            rx.vstack(
                status_badge(d["status"]),
                rx.cond(d["status"] == "failed", rx.text(d["error"], size="1", color_scheme="red", max_width="260px")),
                rx.cond((d["status"] != "ready") & (d["status"] != "failed"),
                        rx.progress(value=d["progress"].to(int), width="90px", size="1",
                                    aria_label="Indexing " + d["title"].to(str))),
                spacing="1",
            )
        ),
        rx.table.cell(rx.text(d["chunks"], size="2")),
        rx.table.cell(rx.text(when(d["created"]), size="2", color_scheme="gray")),
        rx.table.cell(
            rx.cond(
                KnowledgeState.can_edit,
                rx.icon_button(rx.icon("trash-2", size=16), variant="soft", color_scheme="red", size="2",
                               aria_label="Delete document", data_testid="doc-delete",
                               on_click=KnowledgeState.ask_delete(d["id"].to(str), d["title"].to(str))),
            )
        ),
        align="center",
        data_testid="doc-row",
    )  # fmt: skip


def documents_card() -> rx.Component:
    return card(
        rx.flex(
            section_title("Documents", "library"),
            rx.spacer(),
            rx.text(KnowledgeState.ready_count, " ready of ", KnowledgeState.docs.length(), size="2",
                    color_scheme="gray"),
            width="100%",
            align="center",
            wrap="wrap",
        ),
        rx.flex(
            rx.input(rx.input.slot(rx.icon("search", size=14)), placeholder="Filter by title or file name",
                     value=KnowledgeState.filter_text, on_change=KnowledgeState.set_filter_text, flex="1",
                     min_width="200px", aria_label="Filter documents by title or file name", data_testid="doc-filter"),
            rx.cond(
                KnowledgeState.all_tags.length() > 0,
                rx.select.root(
                    rx.select.trigger(placeholder="All tags", aria_label="Filter documents by tag",
                                      data_testid="tag-filter"),
                    rx.select.content(rx.foreach(KnowledgeState.tag_options,
                                                 lambda t: rx.select.item(t, value=t))),
                    on_change=KnowledgeState.set_tag_filter,
                ),
            ),
            spacing="2",
            wrap="wrap",
            width="100%",
        ),
        rx.cond(
            KnowledgeState.docs.length() == 0,
            empty_state("book-open", "No documents yet",
                        "Upload your books, articles, notes or transcripts. Your twin answers from them."),
            rx.cond(
                KnowledgeState.visible_docs.length() == 0,
                rx.text("No document matches this filter.", color_scheme="gray", padding="16px"),
                rx.table.root(
                    rx.table.header(rx.table.row(
                        rx.table.column_header_cell("Title"), rx.table.column_header_cell("Status"),
                        rx.table.column_header_cell("Chunks"), rx.table.column_header_cell("Added"),
                        rx.table.column_header_cell(""),
                    )),
                    rx.table.body(rx.foreach(KnowledgeState.visible_docs, document_row)),
                    width="100%",
                    variant="ghost",
                ),
            ),
        ),
    )  # fmt: skip


def delete_dialog() -> rx.Component:
    return confirm_dialog(
        "Delete document",
        [
            "Delete ",
            rx.text.strong(KnowledgeState.confirm_title),
            " and everything learned from it? The twin will no longer cite it.",
        ],
        "Delete",
        on_cancel=KnowledgeState.cancel_delete,
        on_confirm=KnowledgeState.confirm_delete,
        confirm_testid="confirm-delete",
        open_=KnowledgeState.confirm_id != "",
    )
