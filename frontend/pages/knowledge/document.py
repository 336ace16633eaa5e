"""One document: its title, status and passages in reading order. A citation opens it at the cited passage,
highlighted (`/knowledge/<id>?passage=<passage id>`)."""

from __future__ import annotations

from typing import Any

import reflex as rx
from reflex.vars import ObjectVar

from frontend import api, format
from frontend.api.contracts import PassagesOut
from frontend.components import callout, card, status_badge, when
from frontend.components.frame import layout
from frontend.components.gates import back_link, detail_body
from frontend.pages.knowledge.state import doc_row
from frontend.state import AuthState, Redirect, event


def passage_anchor(passage_id: str) -> str:
    return f"passage-{passage_id}"


class DocumentState(AuthState):
    doc: dict[str, Any] = {}
    doc_error: str = ""
    doc_loaded: bool = False
    passages: rx.Field[list[dict[str, str]]] = rx.field(default_factory=list)
    passages_total: int = 0
    first_offset: int = 0
    next_offset: int = 0
    cited: str = ""

    @rx.var
    def more_after(self) -> bool:
        return self.next_offset < self.passages_total

    def _rows(self, page: PassagesOut) -> list[dict[str, str]]:
        return [
            {"id": str(p.id), "anchor": passage_anchor(str(p.id)), "text": format.from_sentence(p.text),
             "where": format.location(p.location) or f"passage {p.ordinal + 1}",
             "cited": "yes" if str(p.id) == self.cited else ""}
            for p in page.passages
        ]  # fmt: skip

    @event
    async def load(self) -> Any:
        self.doc, self.doc_error, self.doc_loaded, self.passages = {}, "", False, []
        self.cited = str(self.router.url.query_parameters.get("passage", "") or "")
        redirect = await self._load_page(self._fetch_doc, self._not_found)
        self.doc_loaded = redirect is None
        if redirect is not None:
            return redirect
        if self.cited and any(p["cited"] for p in self.passages):
            return rx.scroll_to(passage_anchor(self.cited))
        return None

    async def _fetch_doc(self) -> None:
        doc_id = self._route_param("doc_id")
        self.doc = doc_row(await self._call(api.knowledge.document, doc_id))
        try:
            page = await self._call(api.knowledge.passages, doc_id, 0, self.cited)
        except api.ApiError as exc:
            if not self.cited or exc.status != 404:
                raise
            self.cited = ""  # the cited passage is gone (the document was replaced): open at the start
            page = await self._call(api.knowledge.passages, doc_id, 0, "")
        self.passages = self._rows(page)
        self.passages_total, self.first_offset = page.total, page.offset
        self.next_offset = page.offset + len(page.passages)

    @event
    async def load_more(self, earlier: bool) -> Redirect:
        """The next passages, or (`earlier`) the ones before the window a citation opened."""
        doc_id = self._route_param("doc_id")

        async def work() -> Redirect:
            if earlier:
                start = max(0, self.first_offset - 100)
                page = await self._call(api.knowledge.passages, doc_id, start, "")
                fresh = [r for r in self._rows(page) if r["id"] not in {p["id"] for p in self.passages}]
                self.passages, self.first_offset = fresh + self.passages, start
            else:
                page = await self._call(api.knowledge.passages, doc_id, self.next_offset, "")
                self.passages = self.passages + self._rows(page)
                self.next_offset = page.offset + len(page.passages)
            return None

        return await self._attempt(work, self._not_found)

    def _not_found(self, exc: api.ApiError) -> None:
        self.doc_error = (
            "This document does not exist in your workspace." if exc.status in {404, 422, 400} else exc.detail
        )


def passage(p: ObjectVar[dict[str, str]]) -> rx.Component:
    cited = p["cited"] != ""
    return rx.box(
        rx.text(p["where"], size="1", color=rx.color("gray", 11)),
        rx.text(p["text"], size="3", white_space="pre-wrap"),
        rx.cond(cited, rx.badge("cited passage", color_scheme="amber", margin_top="4px")),
        id=p["anchor"],
        padding="10px 12px",
        border_left=rx.cond(cited, f"4px solid {rx.color('amber', 9)}", f"4px solid {rx.color('gray', 4)}"),
        bg=rx.cond(cited, rx.color("amber", 3), "transparent"),
        border_radius="6px",
        width="100%",
        scroll_margin_top="24px",
        data_testid="passage",
        data_cited=rx.cond(cited, "true", "false"),
    )


def document_page() -> rx.Component:
    return layout(
        back_link("All documents", "/knowledge"),
        detail_body(
            DocumentState.doc_loaded,
            DocumentState.doc_error,
            "file-x",
            "Document not found",
            rx.heading(DocumentState.doc["title"], size="5", as_="h2", data_testid="doc-title"),
            rx.hstack(status_badge(DocumentState.doc["status"]),
                      rx.text(DocumentState.doc["chunks"], " passages", size="2", color=rx.color("gray", 11)),
                      rx.text("added ", when(DocumentState.doc["created"]), size="2", color=rx.color("gray", 11)),
                      spacing="3", align="center", wrap="wrap"),
            rx.cond(DocumentState.doc["error"] != "",
                    callout(DocumentState.doc["error"], icon="triangle-alert", color_scheme="red")),
        ),
        rx.cond(
            DocumentState.doc_loaded & (DocumentState.doc_error == "") & (DocumentState.passages_total > 0),
            card(
                rx.heading("The text, passage by passage", size="4", as_="h2"),
                rx.text("Your twin searches these passages and cites them.", size="2", color=rx.color("gray", 11)),
                rx.cond(DocumentState.first_offset > 0,
                        rx.button("Show earlier passages", variant="soft", size="2",
                                  on_click=DocumentState.load_more(True))),
                rx.vstack(rx.foreach(DocumentState.passages, passage), spacing="2", width="100%"),
                rx.cond(DocumentState.more_after,
                        rx.button("Show more passages", variant="soft", size="2",
                                  on_click=DocumentState.load_more(False))),
            ),
        ),
        title="Document",
    )  # fmt: skip
