"""The Knowledge page's state: the documents, their live status, filters and deleting one."""

from __future__ import annotations

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
        "filename": d.filename,
        "status": d.status,
        "progress": 100 if d.status == "ready" else format.percent(d.progress),
        "chunks": d.chunk_count,
        "error": d.error or "",
        "tags": list(d.tags),
        "created": d.created_at.isoformat(),  # shown by `when`, in the viewer's time zone
    }


class KnowledgeState(PageState, AuthState):
    docs: rx.Field[list[dict[str, Any]]] = rx.field(default_factory=list)
    filter_text: str = ""
    tag_filter: str = ""
    confirm_id: str = ""
    confirm_title: str = ""

    # --- derived ------------------------------------------------------------------------------------

    @rx.var
    def visible_docs(self) -> list[dict[str, Any]]:
        needle = self.filter_text.strip().lower()
        return [
            d
            for d in self.docs
            if (not needle or needle in d["title"].lower() or needle in d["filename"].lower())
            and (not self.tag_filter or self.tag_filter in d["tags"])
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

    @rx.var
    def has_pending(self) -> bool:
        """Some document is still queued or being indexed: the page refreshes their status (see `watcher`)."""
        return any(d["status"] in PENDING for d in self.docs)

    @event
    async def load(self) -> Redirect:
        self._clear_messages()
        redirect = await self._load_page(self._fetch)
        self.loaded = redirect is None
        return redirect

    @event
    async def tick(self, _: Any = None) -> Redirect:
        """Refresh the statuses while something is being indexed (the page's `watcher` calls this)."""
        if not self.router.url.path.startswith("/knowledge"):
            return None
        return await self._attempt(self._fetch)

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
