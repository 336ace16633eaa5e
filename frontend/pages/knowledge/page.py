"""The Knowledge page: add knowledge, the documents, and the search tester."""

from __future__ import annotations

import reflex as rx

from frontend.components import callout, error_callout, notice_callout
from frontend.components.frame import layout
from frontend.components.gates import page_body
from frontend.pages.knowledge.documents import delete_dialog, documents_card
from frontend.pages.knowledge.search import search_card
from frontend.pages.knowledge.state import KnowledgeState
from frontend.pages.knowledge.upload import upload_zone

POLL_MS = 1500


def watcher() -> rx.Component:
    """While a document is queued or being indexed, refresh the statuses every 1.5 s (and stop when none is).
    A timer in the page, not a task started by an upload: an upload's request stays open until its handler's
    events end, and the page refuses a second upload meanwhile."""
    return rx.cond(
        KnowledgeState.has_pending,
        rx.moment(interval=POLL_MS, on_change=KnowledgeState.tick, display="none", aria_hidden="true"),
    )


def knowledge_page() -> rx.Component:
    return layout(
        watcher(),
        error_callout(KnowledgeState.error),
        notice_callout(KnowledgeState.notice),
        page_body(
            KnowledgeState.loaded,
            rx.vstack(
                rx.cond(KnowledgeState.can_edit, upload_zone(),
                        callout("You can read and search the knowledge; editors upload and delete.",
                                   icon="eye", width="100%", data_testid="viewer-note")),
                documents_card(),
                search_card(),
                spacing="5",
                width="100%",
            ),
        ),
        delete_dialog(),
        title="Knowledge",
        subtitle="What your twin knows, and what it would cite.",
    )  # fmt: skip
