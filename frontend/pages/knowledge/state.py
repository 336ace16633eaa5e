"""The Knowledge page's state: the documents, their live status, filters and deleting one."""

from __future__ import annotations

import asyncio
from typing import Any

import reflex as rx

from frontend import api, format
from frontend.api.contracts import DocumentOut
from frontend.state import AuthState, PageState, Redirect, event

PENDING = {"queued", "processing"}


def doc_row(d: DocumentOut) -> dict[str, Any]:
    """One document as the list and the document page show it."""
    return {
        "id": str(d.id),
        "title": d.title or "Untitled",
        "status": d.status,
        "progress": 100 if d.status == "ready" else format.percent(d.progress),
        "chunks": d.chunk_count,
        "error": d.error or "",
        "tags": list(d.tags),
        "created": format.minute(d.created_at),
    }


class KnowledgeState(PageState, AuthState):
    docs: rx.Field[list[dict[str, Any]]] = rx.field(default_factory=list)
    filter_text: str = ""
    tag_filter: str = ""
    polling: bool = False
    confirm_id: str = ""
    confirm_title: str = ""

    # --- derived ------------------------------------------------------------------------------------

    @rx.var
    def visible_docs(self) -> list[dict[str, Any]]:
        needle = self.filter_text.strip().lower()
        return [
            d
            for d in self.docs
            if (not needle or needle in d["title"].lower()) and (not self.tag_filter or self.tag_filter in d["tags"])
        ]

    @rx.var
    def all_tags(self) -> list[str]:
        return sorted({t for d in self.docs for t in d["tags"]})

    @rx.var
    def tag_options(self) -> list[str]:
        return ["all", *self.all_tags]

    @rx.var
    def ready_count(self) -> int:
        return sum(1 for d in self.docs if d["status"] == "ready")

    # --- loading and polling ------------------------------------------------------------------------

    async def _fetch(self) -> None:
        self.docs = [doc_row(d) for d in await self._call(api.knowledge.documents)]

    def _pending(self) -> bool:
        return any(d["status"] in PENDING for d in self.docs)

    @event
    async def load(self) -> Any:
        self._clear_messages()
        redirect = await self._load_page(self._fetch)
        self.loaded = redirect is None
        if redirect is None and self._pending():
            return KnowledgeState.poll
        return redirect

    @event(background=True)
    async def poll(self) -> Any:
        """Refresh statuses until every document is ready or failed (or the user leaves the page)."""
        async with self:
            if self.polling:
                return None
            self.polling = True
        try:
            for _ in range(600):
                await asyncio.sleep(1.5)
                async with self:
                    if not self.router.url.path.startswith("/knowledge"):
                        return None
                    errors: list[api.ApiError] = []
                    redirect = await self._attempt(self._fetch, errors.append)
                    if errors:
                        self._show_error(errors[0])
                    if redirect is not None or errors or not self._pending():
                        return redirect
        finally:
            async with self:
                self.polling = False
        return None

    # --- filters ------------------------------------------------------------------------------------

    @event
    def set_filter_text(self, value: str) -> None:
        self.filter_text = value

    @event
    def set_tag_filter(self, value: str) -> None:
        self.tag_filter = "" if value == "all" else value

    # --- delete -------------------------------------------------------------------------------------

    @event
    def ask_delete(self, doc_id: str, title: str) -> None:
        self.confirm_id, self.confirm_title = doc_id, title

    @event
    def cancel_delete(self) -> None:
        self.confirm_id = ""

    @event
    async def confirm_delete(self) -> Redirect:
        doc_id, self.confirm_id = self.confirm_id, ""

        async def work() -> Redirect:
            await self._call(api.knowledge.delete_document, doc_id)
            self.notice = f"“{self.confirm_title}” was deleted."
            await self._fetch()
            return None

        return await self._attempt(work)
