"""Knowledge: drag-and-drop upload with per-file progress, live status, list with search/tags/delete,
a search tester with ranked passages, and a document page."""

from __future__ import annotations

import asyncio
from typing import Any

import reflex as rx

from frontend import api
from frontend.components import card, empty_state, error_callout, layout, notice_callout, section_title, status_badge
from frontend.components.dialogs import confirm_dialog
from frontend.components.gates import back_link, detail_body, feature_body
from frontend.feature_state import load_feature
from frontend.state import AuthState, SessionExpired

UPLOAD_ID = "knowledge-upload"
ACCEPT = {
    "text/plain": [".txt", ".md"],
    "text/markdown": [".md"],
    "application/pdf": [".pdf"],
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": [".docx"],
    "text/html": [".html", ".htm"],
}
PENDING = {"queued", "processing", "uploaded", "parsing", "embedding"}


def _pct(value: Any) -> int:
    try:
        v = float(value or 0)
    except (TypeError, ValueError):
        return 0
    return max(0, min(100, round(v * 100 if v <= 1 else v)))


def doc_row(d: api.Document) -> dict[str, Any]:
    tags = d.get("tags") or []
    if isinstance(tags, str):
        tags = [t.strip() for t in tags.split(",") if t.strip()]
    status = str(d.get("status") or "queued")
    return {
        "id": str(d.get("id", "")),
        "title": str(d.get("title") or "Untitled"),
        "status": status,
        "progress": 100 if status == "ready" else _pct(d.get("progress")),
        "chunks": int(d.get("chunk_count") or 0),
        "error": str(d.get("error") or ""),
        "tags": [str(t) for t in tags],
        "created": str(d.get("created_at") or "")[:16].replace("T", " "),
    }


class KnowledgeState(AuthState):
    available: bool = True
    loaded: bool = False
    error: str = ""
    notice: str = ""
    docs: list[dict[str, Any]] = []
    filter_text: str = ""
    tag_filter: str = ""
    upload_tags: str = ""
    uploading: bool = False
    upload_pct: int = 0
    uploads: list[dict[str, Any]] = []
    polling: bool = False
    confirm_id: str = ""
    confirm_title: str = ""
    query: str = ""
    results: list[dict[str, Any]] = []
    searching: bool = False
    searched: bool = False
    search_error: str = ""

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
        self.docs = [doc_row(d) for d in await self.call(api.documents)]
        by_id = {d["id"]: d for d in self.docs}
        self.uploads = [
            {**u, **({"status": by_id[u["id"]]["status"], "progress": by_id[u["id"]]["progress"],
                      "error": by_id[u["id"]]["error"]} if u.get("id") in by_id else {})}
            for u in self.uploads
        ]  # fmt: skip

    def _pending(self) -> bool:
        return any(d["status"] in PENDING for d in self.docs)

    @rx.event
    async def load(self) -> Any:
        self.error = self.notice = ""
        if (redirect := await load_feature(self, self._fetch)) is not None:
            return redirect
        if self._pending():
            return KnowledgeState.poll
        return None

    @rx.event(background=True)
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
                    try:
                        await self._fetch()
                    except SessionExpired:
                        return self.to_signin()
                    except api.ApiError as exc:
                        self.error = exc.detail
                        return None
                    if not self._pending():
                        return None
        finally:
            async with self:
                self.polling = False
        return None

    # --- filters ------------------------------------------------------------------------------------

    @rx.event
    def set_filter_text(self, value: str) -> None:
        self.filter_text = value

    @rx.event
    def set_tag_filter(self, value: str) -> None:
        self.tag_filter = "" if value == "all" else value

    @rx.event
    def set_upload_tags(self, value: str) -> None:
        self.upload_tags = value

    # --- upload -------------------------------------------------------------------------------------

    @rx.event
    def upload_progress(self, progress: dict[str, Any]) -> None:
        self.upload_pct = _pct(progress.get("progress", 0))

    @rx.event
    def start_upload(self, names: list[str]) -> None:
        self.uploading, self.upload_pct, self.error, self.notice = True, 0, "", ""
        self.uploads = [{"name": n, "id": "", "status": "uploading", "progress": 0, "error": ""} for n in names] + [
            u for u in self.uploads if u["status"] in PENDING
        ]

    @rx.event
    async def handle_upload(self, files: list[rx.UploadFile]) -> Any:
        """Files arrive at the hub, and each goes on to the API; status then comes from polling."""
        rows = {u["name"]: u for u in self.uploads}
        try:
            for f in files:
                name = f.name or "document"
                row = rows.setdefault(name, {"name": name, "id": "", "status": "uploading", "progress": 0, "error": ""})
                try:
                    doc = await self.call(api.upload_document, name, await f.read(), "", self.upload_tags)
                    row.update(id=str(doc.get("id", "")), status=str(doc.get("status") or "queued"), progress=0)
                except api.ApiError as exc:
                    row.update(status="failed", error=exc.detail)
                self.uploads = list(rows.values())
                yield
            await self._fetch()
        except SessionExpired:
            yield self.to_signin()
            return
        except api.ApiError as exc:
            self.error = exc.detail
        finally:
            self.uploading = False
        yield rx.clear_selected_files(UPLOAD_ID)
        if self._pending():
            yield KnowledgeState.poll

    @rx.event
    def clear_uploads(self) -> None:
        self.uploads = [u for u in self.uploads if u["status"] in PENDING or u["status"] == "uploading"]

    # --- delete -------------------------------------------------------------------------------------

    @rx.event
    def ask_delete(self, doc_id: str, title: str) -> None:
        self.confirm_id, self.confirm_title = doc_id, title

    @rx.event
    def cancel_delete(self) -> None:
        self.confirm_id = ""

    @rx.event
    async def confirm_delete(self) -> Any:
        doc_id, self.confirm_id = self.confirm_id, ""
        try:
            await self.call(api.delete_document, doc_id)
            self.notice = f"“{self.confirm_title}” was deleted."
            await self._fetch()
        except SessionExpired:
            return self.to_signin()
        except api.ApiError as exc:
            self.error = exc.detail
        return None

    # --- search tester ------------------------------------------------------------------------------

    @rx.event
    async def search(self, form: dict[str, Any]) -> Any:
        q = str(form.get("q", "")).strip()
        self.query, self.search_error = q, ""
        if not q:
            self.search_error = "Type a question to search your knowledge."
            return
        self.searching = True
        yield
        try:
            passages = await self.call(api.search, q, 5)
            self.results = [
                {
                    "rank": i + 1,
                    "score": f"{float(p.get('score') or 0):.3f}",
                    "text": str(p.get("text", "")),
                    "document_id": str(p.get("document_id", "")),
                    "title": str(p.get("document_title") or "Untitled"),
                    "location": api.format_location(p.get("location")),
                }
                for i, p in enumerate(passages)
            ]
            self.searched = True
        except SessionExpired:
            yield self.to_signin()
        except api.ApiError as exc:
            self.search_error = "Search is not available on this server yet." if exc.not_available else exc.detail
        finally:
            self.searching = False


# --- components --------------------------------------------------------------------------------------


def upload_zone() -> rx.Component:
    return card(
        section_title("Add knowledge", "upload"),
        rx.upload(
            rx.vstack(
                rx.icon("cloud-upload", size=36, color=rx.color("accent", 9)),
                rx.text("Drop files here, or click to choose", weight="medium"),
                rx.text("Text, Markdown, PDF, Word or HTML · several at once", size="2", color_scheme="gray"),
                align="center",
                spacing="2",
            ),
            id=UPLOAD_ID,
            multiple=True,
            accept=ACCEPT,
            max_files=50,
            border=f"2px dashed {rx.color('accent', 7)}",
            border_radius="12px",
            padding="28px",
            width="100%",
            cursor="pointer",
            bg=rx.color("accent", 2),
            data_testid="upload-zone",
        ),
        rx.cond(
            rx.selected_files(UPLOAD_ID).length() > 0,  # type: ignore[attr-defined]
            rx.vstack(
                rx.foreach(
                    rx.selected_files(UPLOAD_ID),
                    lambda name: rx.hstack(rx.icon("file-text", size=14), rx.text(name, size="2"), align="center"),
                ),
                rx.flex(
                    rx.input(placeholder="Tags for these files, comma-separated (optional)",
                             value=KnowledgeState.upload_tags, on_change=KnowledgeState.set_upload_tags,
                             flex="1", min_width="200px", data_testid="upload-tags"),
                    rx.button(
                        rx.icon("upload", size=16),
                        "Upload",
                        on_click=[
                            KnowledgeState.start_upload(rx.selected_files(UPLOAD_ID)),
                            KnowledgeState.handle_upload(
                                rx.upload_files(upload_id=UPLOAD_ID, on_upload_progress=KnowledgeState.upload_progress)
                            ),
                        ],
                        loading=KnowledgeState.uploading,
                        data_testid="upload-submit",
                    ),
                    rx.button("Clear", variant="soft", color_scheme="gray",
                              on_click=rx.clear_selected_files(UPLOAD_ID)),
                    spacing="2",
                    wrap="wrap",
                    width="100%",
                ),
                width="100%",
                spacing="2",
            ),
        ),
        rx.cond(
            KnowledgeState.uploads.length() > 0,  # type: ignore[attr-defined]
            rx.vstack(
                rx.hstack(rx.text("This upload", weight="medium", size="2"), rx.spacer(),
                          rx.button("Hide finished", size="1", variant="ghost", on_click=KnowledgeState.clear_uploads),
                          width="100%"),
                rx.foreach(KnowledgeState.uploads, upload_row),
                width="100%",
                spacing="2",
            ),
        ),
    )  # fmt: skip


def upload_row(u: rx.Var) -> rx.Component:
    value = rx.cond(u["status"] == "uploading", KnowledgeState.upload_pct, u["progress"])
    return rx.vstack(
        rx.hstack(
            rx.icon("file-text", size=14),
            rx.text(u["name"], size="2", weight="medium", flex="1", trim="both"),
            status_badge(u["status"]),
            align="center",
            width="100%",
        ),
        rx.cond(
            u["status"] == "failed",
            rx.text(u["error"], color_scheme="red", size="1"),
            rx.progress(value=rx.cond(u["status"] == "ready", 100, value), width="100%", size="1"),
        ),
        width="100%",
        spacing="1",
        data_testid="upload-row",
    )


def doc_tags(tags: rx.Var) -> rx.Component:
    return rx.hstack(rx.foreach(tags, lambda t: rx.badge(t, variant="outline", size="1")), spacing="1", wrap="wrap")


def document_row(d: rx.Var) -> rx.Component:
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
                        rx.progress(value=d["progress"], width="90px", size="1")),
                spacing="1",
            )
        ),
        rx.table.cell(rx.text(d["chunks"], size="2")),
        rx.table.cell(rx.text(d["created"], size="2", color_scheme="gray")),
        rx.table.cell(
            rx.cond(
                KnowledgeState.can_edit,
                rx.icon_button(rx.icon("trash-2", size=16), variant="soft", color_scheme="red", size="2",
                               aria_label="Delete document", data_testid="doc-delete",
                               on_click=KnowledgeState.ask_delete(d["id"], d["title"])),
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
            rx.text(KnowledgeState.ready_count, " ready of ", KnowledgeState.docs.length(), size="2",  # type: ignore[attr-defined]
                    color_scheme="gray"),
            width="100%",
            align="center",
            wrap="wrap",
        ),
        rx.flex(
            rx.input(rx.input.slot(rx.icon("search", size=14)), placeholder="Filter by title",
                     value=KnowledgeState.filter_text, on_change=KnowledgeState.set_filter_text, flex="1",
                     min_width="200px", data_testid="doc-filter"),
            rx.cond(
                KnowledgeState.all_tags.length() > 0,  # type: ignore[attr-defined]
                rx.select(KnowledgeState.tag_options, placeholder="All tags",
                          on_change=KnowledgeState.set_tag_filter, data_testid="tag-filter"),
            ),
            spacing="2",
            wrap="wrap",
            width="100%",
        ),
        rx.cond(
            KnowledgeState.docs.length() == 0,  # type: ignore[attr-defined]
            empty_state("book-open", "No documents yet",
                        "Upload your books, articles, notes or transcripts. Your twin answers from them."),
            rx.cond(
                KnowledgeState.visible_docs.length() == 0,  # type: ignore[attr-defined]
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


def result_card(r: rx.Var) -> rx.Component:
    return rx.box(
        rx.hstack(
            rx.badge("#", r["rank"], variant="solid", size="1"),
            rx.link(r["title"], href="/knowledge/" + r["document_id"].to(str), weight="medium", size="2"),
            rx.text(r["location"], size="1", color_scheme="gray"),
            rx.spacer(),
            rx.text("score ", r["score"], size="1", color_scheme="gray", font_family="monospace"),
            width="100%",
            align="center",
            wrap="wrap",
        ),
        rx.text(r["text"], size="2", margin_top="6px", white_space="pre-wrap"),
        padding="12px",
        border_radius="8px",
        border=f"1px solid {rx.color('gray', 5)}",
        width="100%",
        data_testid="search-result",
    )


def search_card() -> rx.Component:
    return card(
        section_title("Search tester", "search"),
        rx.text("Ask what a member might ask and see which passages your twin would cite.", size="2",
                color_scheme="gray"),
        rx.form(
            rx.flex(
                rx.input(name="q", placeholder="How do I deal with anger?", flex="1", min_width="220px", size="3",
                         data_testid="search-input"),
                rx.button("Search", type="submit", size="3", loading=KnowledgeState.searching,
                          data_testid="search-submit"),
                spacing="2",
                width="100%",
            ),
            on_submit=KnowledgeState.search,
            width="100%",
        ),
        error_callout(KnowledgeState.search_error),
        rx.cond(
            KnowledgeState.searched & (KnowledgeState.results.length() == 0),  # type: ignore[attr-defined]
            rx.text("No passage matched. Upload more knowledge or rephrase.", color_scheme="gray", size="2"),
        ),
        rx.foreach(KnowledgeState.results, result_card),
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


def knowledge_page() -> rx.Component:
    return layout(
        error_callout(KnowledgeState.error),
        notice_callout(KnowledgeState.notice),
        feature_body(
            KnowledgeState.loaded,
            KnowledgeState.available,
            rx.vstack(
                rx.cond(KnowledgeState.can_edit, upload_zone(),
                        rx.callout("You can read and search the knowledge; editors upload and delete.",
                                   icon="eye", width="100%", data_testid="viewer-note")),
                documents_card(),
                search_card(),
                spacing="5",
                width="100%",
            ),
            "The knowledge base",
        ),
        delete_dialog(),
        title="Knowledge",
        subtitle="What your twin knows, and what it would cite.",
    )  # fmt: skip


# --- one document ------------------------------------------------------------------------------------


class DocumentState(AuthState):
    doc: dict[str, Any] = {}
    doc_error: str = ""
    doc_loaded: bool = False

    @rx.event
    async def load(self) -> Any:
        self.doc, self.doc_error, self.doc_loaded = {}, "", False
        redirect = await self._load_signed_in(self._fetch_doc, self._not_found)
        self.doc_loaded = redirect is None
        return redirect

    async def _fetch_doc(self) -> None:
        self.doc = doc_row(await self.call(api.document, self.router.url.path.rstrip("/").rsplit("/", 1)[-1]))

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
