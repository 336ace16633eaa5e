"""The Knowledge page: add knowledge, the documents, and the search tester."""

from __future__ import annotations

import reflex as rx

from frontend.components import error_callout, layout, notice_callout
from frontend.components.gates import page_body
from frontend.pages.knowledge.documents import delete_dialog, documents_card
from frontend.pages.knowledge.search import search_card
from frontend.pages.knowledge.state import KnowledgeState
from frontend.pages.knowledge.upload import upload_zone


def knowledge_page() -> rx.Component:
    return layout(
        error_callout(KnowledgeState.error),
        notice_callout(KnowledgeState.notice),
        page_body(
            KnowledgeState.loaded,
            rx.vstack(
                rx.cond(KnowledgeState.can_edit, upload_zone(),
                        rx.callout("You can read and search the knowledge; editors upload and delete.",
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
