"""Adding knowledge: the drop zone, tags for the files, and each file's upload and indexing progress."""

from __future__ import annotations

from typing import Any

import reflex as rx
from reflex.vars import ObjectVar

from frontend import api, format
from frontend.components import card, section_title, status_badge
from frontend.pages.knowledge.state import PENDING, KnowledgeState
from frontend.state import Redirect, event

UPLOAD_ID = "knowledge-upload"
ACCEPT = {
    "text/plain": [".txt", ".md"],
    "text/markdown": [".md"],
    "application/pdf": [".pdf"],
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": [".docx"],
    "text/html": [".html", ".htm"],
}


class UploadState(KnowledgeState):
    """A part of the Knowledge page: it reads the page's documents to show how each upload is doing."""

    upload_tags: str = ""
    uploading: bool = False
    upload_pct: int = 0
    uploads: rx.Field[list[dict[str, Any]]] = rx.field(default_factory=list)

    @rx.var
    def upload_rows(self) -> list[dict[str, Any]]:
        """This session's uploads, with the status and progress of the document each became."""
        by_id = {d["id"]: d for d in self.docs}
        return [
            {**u, **{k: by_id[u["id"]][k] for k in ("status", "progress", "error")}} if u["id"] in by_id else u
            for u in self.uploads
        ]

    @event
    def set_upload_tags(self, value: str) -> None:
        self.upload_tags = value

    @event
    def upload_progress(self, progress: dict[str, Any]) -> None:
        self.upload_pct = format.percent(progress.get("progress", 0))

    @event
    def start_upload(self, names: list[str]) -> None:
        self.uploading, self.upload_pct, self.error, self.notice = True, 0, "", ""
        self.uploads = [{"name": n, "id": "", "status": "uploading", "progress": 0, "error": ""} for n in names] + [
            u for u in self.upload_rows if u["status"] in PENDING
        ]

    @event
    async def handle_upload(self, files: list[rx.UploadFile]) -> Any:
        """Files arrive at the hub, and each goes on to the API; status then comes from the page's polling."""
        rows = {u["name"]: u for u in self.uploads}

        async def send_one(name: str, content: bytes) -> Redirect:
            row = rows.setdefault(name, {"name": name, "id": "", "status": "uploading", "progress": 0, "error": ""})

            def failed(exc: api.ApiError) -> None:
                row.update(status="failed", error=exc.detail)

            async def work() -> Redirect:
                accepted = await self._call(api.knowledge.upload_document, name, content, "", self.upload_tags)
                row.update(id=str(accepted.id), status=accepted.status, progress=0)
                return None

            return await self._attempt(work, failed)

        try:
            for f in files:
                redirect = await send_one(f.name or "document", await f.read())
                self.uploads = list(rows.values())
                if redirect is not None:
                    yield redirect
                    return
                yield
            if (redirect := await self._attempt(self._fetch)) is not None:
                yield redirect
                return
        finally:
            self.uploading = False
        yield rx.clear_selected_files(UPLOAD_ID)
        if self._pending():
            yield KnowledgeState.poll

    @event
    def clear_uploads(self) -> None:
        self.uploads = [u for u in self.upload_rows if u["status"] in PENDING or u["status"] == "uploading"]


def upload_row(u: ObjectVar[dict[str, Any]]) -> rx.Component:
    value = rx.cond(u["status"] == "uploading", UploadState.upload_pct, u["progress"])
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
            rx.selected_files(UPLOAD_ID).length() > 0,
            rx.vstack(
                rx.foreach(
                    rx.selected_files(UPLOAD_ID),
                    lambda name: rx.hstack(rx.icon("file-text", size=14), rx.text(name, size="2"), align="center"),
                ),
                rx.flex(
                    rx.input(placeholder="Tags for these files, comma-separated (optional)",
                             value=UploadState.upload_tags, on_change=UploadState.set_upload_tags,
                             flex="1", min_width="200px", data_testid="upload-tags"),
                    rx.button(
                        rx.icon("upload", size=16),
                        "Upload",
                        on_click=[
                            UploadState.start_upload(rx.selected_files(UPLOAD_ID)),
                            UploadState.handle_upload(
                                rx.upload_files(upload_id=UPLOAD_ID, on_upload_progress=UploadState.upload_progress)
                            ),
                        ],
                        loading=UploadState.uploading,
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
            UploadState.uploads.length() > 0,
            rx.vstack(
                rx.hstack(rx.text("This upload", weight="medium", size="2"), rx.spacer(),
                          rx.button("Hide finished", size="1", variant="ghost", on_click=UploadState.clear_uploads),
                          width="100%"),
                rx.foreach(UploadState.upload_rows, upload_row),
                width="100%",
                spacing="2",
            ),
        ),
    )  # fmt: skip
