"""Adding knowledge: the drop zone, tags for the files, and each file's upload and indexing progress."""

from __future__ import annotations

from typing import Any

import reflex as rx
from reflex.vars import ObjectVar

from frontend import api, format
from frontend.components import card, file_drop, labeled, section_title, status_badge
from frontend.pages.knowledge import held
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
        """The files' way from the browser to the hub (before each goes on to the API)."""
        self.uploading = True
        self.upload_pct = format.percent(progress.get("progress", 0))

    @event
    def rejected(self, names: list[str]) -> None:
        """Files the drop zone refused by their type: named, never dropped silently."""
        refused = [{"name": n.removeprefix("./"), "id": "", "status": "failed", "progress": 0,
                    "error": "Not added: CoachTwin reads PDF, Word (.docx), text, Markdown and HTML files."}
                   for n in names]  # fmt: skip
        self.uploads = refused + self.uploads

    @event
    async def handle_upload(self, files: list[rx.UploadFile]) -> Any:
        """Dropped files reach the hub: each waits on the hub's disk while `send_waiting` takes them on to the API.
        Kept short on purpose: the drop zone takes no other drop until this handler has returned."""
        self.error = self.notice = ""
        rows = [{"name": f.name or "document", "id": "", "status": "uploading", "progress": 0, "error": "",
                 "held": held.hold(await f.read())} for f in files]  # fmt: skip
        self.uploads = rows + [u for u in self.upload_rows if u["status"] != "ready"]
        self.uploading = False
        return UploadState.send_waiting

    @event
    async def send_waiting(self) -> Any:
        """Each waiting file goes on to the API in turn; its row says how it went (the API names a refused type
        or size; the same content or name asks what to do)."""
        for row in [u for u in self.uploads if u["status"] == "uploading" and u.get("held")]:
            content = held.take(row["held"])
            if content is None:
                continue

            def failed(exc: api.ApiError, row: dict[str, Any] = row, content: bytes = content) -> None:
                if exc.status == 409 and exc.extra.get("existing_id"):
                    row.update(
                        status="asks",
                        error=exc.detail,
                        existing_id=str(exc.extra["existing_id"]),
                        existing_title=str(exc.extra.get("existing_title") or ""),
                        held=held.hold(content),
                    )
                else:
                    row.update(status="failed", error=exc.detail, held="")

            async def work(row: dict[str, Any] = row, content: bytes = content) -> Redirect:
                accepted = await self._call(api.knowledge.upload_document, row["name"], content, "", self.upload_tags)
                row.update(id=str(accepted.id), status=accepted.status, progress=0, held="")
                return None

            redirect = await self._attempt(work, failed)  # the row is the state's own: updated in place
            if redirect is not None:
                yield redirect
                return
            yield
        if (redirect := await self._attempt(self._fetch)) is not None:
            yield redirect

    def _asking(self, name: str) -> dict[str, Any] | None:
        return next((u for u in self.uploads if u["name"] == name and u["status"] == "asks"), None)

    @event
    async def resolve(self, name: str, choice: str) -> Any:
        """The person's answer about a file already in the knowledge: `replace` the earlier document with it,
        `keep_both`, or `skip` it."""
        row = self._asking(name)
        if row is None:
            return
        content = held.take(row["held"]) if choice != "skip" else None
        if choice == "skip" or content is None:
            held.drop(row["held"])
            self.uploads = [u for u in self.uploads if u is not row]
            return
        row = {**row, "status": "uploading", "error": ""}
        self.uploads = [row if u["name"] == name and u["status"] == "asks" else u for u in self.uploads]
        yield

        def failed(exc: api.ApiError) -> None:
            row.update(status="failed", error=exc.detail)

        async def work() -> Redirect:
            if choice == "replace":
                accepted = await self._call(api.knowledge.replace_document, row["existing_id"], name, content)
            else:
                accepted = await self._call(api.knowledge.upload_document, name, content, "", self.upload_tags,
                                            keep_both=True)  # fmt: skip
            row.update(id=str(accepted.id), status=accepted.status)
            await self._fetch()
            return None

        redirect = await self._attempt(work, failed)
        self.uploads = [row if u["name"] == name and u["status"] == "uploading" else u for u in self.uploads]
        if redirect is not None:
            yield redirect

    @event
    def clear_uploads(self) -> None:
        self.uploads = [u for u in self.upload_rows if u["status"] in PENDING or u["status"] == "uploading"]


def duplicate_choice(u: ObjectVar[dict[str, Any]]) -> rx.Component:
    """A file already in the knowledge: say so, and offer the ways on."""
    name = u["name"].to(str)
    return rx.vstack(
        rx.text(u["error"], size="2"),
        rx.flex(
            rx.button("Replace “", u["existing_title"], "” with this file", size="1",
                      on_click=UploadState.resolve(name, "replace"), data_testid="upload-replace"),
            rx.button("Keep both", size="1", variant="soft", on_click=UploadState.resolve(name, "keep_both"),
                      data_testid="upload-keep-both"),
            rx.button("Skip this file", size="1", variant="soft", color_scheme="gray",
                      on_click=UploadState.resolve(name, "skip")),
            spacing="2",
            wrap="wrap",
        ),
        spacing="1",
        width="100%",
    )  # fmt: skip


def upload_row(u: ObjectVar[dict[str, Any]]) -> rx.Component:
    value = rx.cond(u["status"] == "uploading", UploadState.upload_pct, u["progress"])
    return rx.vstack(
        rx.hstack(
            rx.icon("file-text", size=14),
            rx.text(u["name"], size="2", weight="medium", flex="1", trim="both"),
            rx.cond(
                u["status"] == "asks",
                rx.badge("already there", color_scheme="amber", variant="soft"),
                status_badge(u["status"]),
            ),
            align="center",
            width="100%",
        ),
        rx.cond(
            u["status"] == "asks",
            duplicate_choice(u),
            rx.cond(
                u["status"] == "failed",
                rx.text(u["error"], color=rx.color("red", 11), size="2"),
                rx.progress(
                    value=rx.cond(u["status"] == "ready", 100, value),
                    width="100%",
                    size="1",
                    aria_label="Progress of " + u["name"].to(str),
                ),
            ),
        ),
        width="100%",
        spacing="1",
        data_testid="upload-row",
    )


def upload_zone() -> rx.Component:
    return card(
        section_title("Add knowledge", "upload"),
        labeled("Tags for the files you add (optional, comma-separated)",
                rx.input(id="upload-tags", placeholder="e.g. stoic, letters", value=UploadState.upload_tags,
                         on_change=UploadState.set_upload_tags, width="100%", data_testid="upload-tags"),
                html_for="upload-tags"),
        file_drop(
            "Files to add to your knowledge",
            rx.vstack(
                rx.icon("cloud-upload", size=36, color=rx.color("accent", 11), aria_hidden="true"),
                rx.text("Drop files here, or click to choose: they upload at once", weight="medium"),
                rx.text("PDF, Word (.docx), text, Markdown or HTML · several at once · up to 25 MB each", size="2",
                        color=rx.color("gray", 11)),
                align="center",
                spacing="2",
            ),
            id=UPLOAD_ID,
            multiple=True,
            accept=ACCEPT,
            max_files=50,
            on_drop=UploadState.handle_upload(
                rx.upload_files(upload_id=UPLOAD_ID, on_upload_progress=UploadState.upload_progress)
            ),
            on_drop_rejected=lambda rejected: UploadState.rejected(
                rejected.to(list[dict[str, Any]]).map(lambda r: r["file"].to(dict[str, Any])["path"].to(str))
            ),
            border=f"2px dashed {rx.color('accent', 8)}",
            border_radius="12px",
            padding="28px",
            width="100%",
            cursor="pointer",
            bg=rx.color("accent", 2),
            data_testid="upload-zone",
        ),
        rx.cond(UploadState.uploading & (UploadState.upload_pct < 100),
                rx.progress(value=UploadState.upload_pct, width="100%", aria_label="Sending the files")),
        rx.cond(
            UploadState.uploads.length() > 0,
            rx.vstack(
                rx.hstack(rx.text("This upload", weight="medium", size="2"), rx.spacer(),
                          rx.button("Hide finished", size="1", variant="soft", on_click=UploadState.clear_uploads),
                          width="100%"),
                rx.foreach(UploadState.upload_rows, upload_row),
                width="100%",
                spacing="2",
            ),
        ),
    )  # fmt: skip
