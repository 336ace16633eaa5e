"""One document: its title, status, passages count and when it was added."""

from __future__ import annotations

from typing import Any

import reflex as rx

from frontend import api
from frontend.components import layout, status_badge
from frontend.components.gates import back_link, detail_body
from frontend.pages.knowledge.state import doc_row
from frontend.state import AuthState, Redirect, event


class DocumentState(AuthState):
    doc: dict[str, Any] = {}
    doc_error: str = ""
    doc_loaded: bool = False

    @event
    async def load(self) -> Redirect:
        self.doc, self.doc_error, self.doc_loaded = {}, "", False
        redirect = await self._load_page(self._fetch_doc, self._not_found)
        self.doc_loaded = redirect is None
        return redirect

    async def _fetch_doc(self) -> None:
        self.doc = doc_row(await self._call(api.knowledge.document, self._route_param("doc_id")))

    def _not_found(self, exc: api.ApiError) -> None:
        self.doc_error = (
            "This document does not exist in your workspace." if exc.status in {404, 422, 400} else exc.detail
        )


def document_page() -> rx.Component:
    return layout(
        back_link("All documents", "/knowledge"),
        detail_body(
            DocumentState.doc_loaded,
            DocumentState.doc_error,
            "file-x",
            "Document not found",
            rx.heading(DocumentState.doc["title"], size="5", data_testid="doc-title"),
            rx.hstack(status_badge(DocumentState.doc["status"]),
                      rx.text(DocumentState.doc["chunks"], " passages", size="2", color_scheme="gray"),
                      rx.text("added ", DocumentState.doc["created"], size="2", color_scheme="gray"),
                      spacing="3", align="center", wrap="wrap"),
            rx.cond(DocumentState.doc["error"] != "",
                    rx.callout(DocumentState.doc["error"], icon="triangle-alert", color_scheme="red")),
        ),
        title="Document",
    )  # fmt: skip
