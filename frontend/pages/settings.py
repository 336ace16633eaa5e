"""Settings: the workspace's name, how the twin answers (language model or extractive), whether each part of the
platform is up, and, for admins, the diagnostics behind it."""

from __future__ import annotations

from typing import Any

import reflex as rx
from reflex.vars import ObjectVar

from frontend import api
from frontend.components import card, error_callout, labeled, loading, notice_callout, section_title
from frontend.components.frame import layout
from frontend.state import AuthState, PageState, Redirect, event

PARTS = {
    "database": "Database",
    "redis": "Cache and job queue",
    "vectors": "Knowledge search index",
    "embedder": "Embedding model",
    "jobs": "Background jobs",
    "llm": "Language model",
}


def _plain(value: Any) -> str:
    return ", ".join(f"{k}: {_plain(v)}" for k, v in value.items()) if isinstance(value, dict) else str(value)


class SettingsState(PageState, AuthState):
    overall: str = ""
    checks: rx.Field[list[dict[str, str]]] = rx.field(default_factory=list)
    llm_ok: bool = False
    llm_known: bool = False
    diagnostics: rx.Field[list[dict[str, str]]] = rx.field(default_factory=list)
    diagnostics_error: str = ""
    api_url: str = ""

    async def _health(self) -> None:
        try:
            body = await api.health.ready()
        except api.ApiError as exc:
            self.overall, self.checks, self.llm_known = "unreachable", [], False
            self.error = exc.detail
            return
        self.overall = "ok" if body.get("status") == "ok" else "degraded"
        raw: dict[str, Any] = body.get("checks") or {}
        self.checks = [
            {"name": PARTS.get(name, name.capitalize()), "ok": "yes" if check.get("ok") else ""}
            for name, check in raw.items()
            if isinstance(check, dict) and name != "llm"
        ]
        llm = raw.get("llm")
        self.llm_known = isinstance(llm, dict)
        self.llm_ok = bool(isinstance(llm, dict) and llm.get("ok"))

    async def _diagnostics(self) -> None:
        def failed(exc: api.ApiError) -> None:
            self.diagnostics_error = exc.detail

        async def work() -> Redirect:
            body = await self._call(api.health.diagnostics)
            self.diagnostics = [
                {"name": name, "ok": "yes" if check.get("ok") else "",
                 "detail": "; ".join(f"{k}: {_plain(v)}" for k, v in check.items() if k != "ok")}
                for name, check in (body.get("checks") or {}).items()
                if isinstance(check, dict)
            ]  # fmt: skip
            return None

        self.diagnostics_error = ""
        await self._attempt(work, failed)

    async def _fetch(self) -> None:
        self.workspace_name = (await self._call(api.team.workspace)).name
        await self._health()
        if self.is_admin:
            await self._diagnostics()

    @event
    async def load(self) -> Redirect:
        self._clear_messages()
        self.api_url = api.base_url()
        redirect = await self._load_page(self._fetch)
        self.loaded = redirect is None
        return redirect

    @event
    async def rename(self, form: dict[str, Any]) -> Redirect:
        name = str(form.get("name", "")).strip()
        self._clear_messages()
        if not name:
            self.error = "The workspace needs a name."
            return None

        async def work() -> Redirect:
            self.workspace_name = (await self._call(api.team.rename_workspace, name)).name
            self.notice = "Workspace renamed."
            return None

        return await self._attempt(work)

    @event
    async def refresh_health(self) -> Redirect:
        self.error = ""
        return await self._attempt(self._fetch)


def check_row(c: ObjectVar[dict[str, str]]) -> rx.Component:
    return rx.hstack(
        rx.cond(
            c["ok"] != "",
            rx.icon("circle-check", color=rx.color("green", 11), aria_hidden="true"),
            rx.icon("circle-x", color=rx.color("red", 11), aria_hidden="true"),
        ),
        rx.text(c["name"], weight="medium", flex="1"),
        rx.badge(rx.cond(c["ok"] != "", "working", "not working"), color_scheme=rx.cond(c["ok"] != "", "green", "red"),
                 variant="soft"),
        align="center",
        spacing="3",
        width="100%",
        data_testid="health-check",
    )  # fmt: skip


def diagnostic_row(c: ObjectVar[dict[str, str]]) -> rx.Component:
    return rx.box(
        rx.text(c["name"], rx.cond(c["ok"] != "", "", " (not working)"), weight="bold", size="2"),
        rx.text(c["detail"], size="1", font_family="monospace", word_break="break-word", color=rx.color("gray", 11)),
        width="100%",
        data_testid="diagnostic",
    )


def workspace_card() -> rx.Component:
    return card(
        section_title("Workspace", "building"),
        rx.cond(
            SettingsState.is_admin,
            rx.form(
                rx.flex(
                    rx.box(
                        labeled("Workspace name",
                                rx.input(name="name", id="workspace-name", default_value=SettingsState.workspace_name,
                                         key=SettingsState.workspace_name, size="3", width="100%",
                                         data_testid="workspace-name"),
                                html_for="workspace-name"),
                        flex="1",
                        min_width="220px",
                    ),
                    rx.button("Save", type="submit", size="3", data_testid="workspace-save"),
                    spacing="3",
                    wrap="wrap",
                    align="end",
                ),
                on_submit=SettingsState.rename,
                width="100%",
            ),
            rx.text(SettingsState.workspace_name, size="4", data_testid="workspace-name-readonly"),
        ),
    )  # fmt: skip


def llm_card() -> rx.Component:
    return card(
        section_title("How your twin answers", "cpu"),
        rx.cond(
            SettingsState.llm_ok,
            rx.vstack(
                rx.badge("Language model connected", color_scheme="green", size="2", data_testid="llm-status"),
                rx.text("Your twin writes its replies with the language model, grounded in your knowledge and cited.",
                        size="2"),
                align="start",
            ),
            rx.vstack(
                rx.badge(rx.cond(SettingsState.llm_known, "Extractive mode: no language model",
                                 "Extractive mode"), color_scheme="amber", size="2", data_testid="llm-status"),
                rx.text("No language model is reachable, so your twin answers in extractive mode: each reply is "
                        "built from the sentences of your best passages, with citations. Connect Ollama "
                        "(OLLAMA_URL) for written replies.", size="2"),
                align="start",
            ),
        ),
    )  # fmt: skip


def health_card() -> rx.Component:
    return card(
        rx.hstack(
            section_title("Platform health", "activity"),
            rx.spacer(),
            rx.badge(rx.match(SettingsState.overall, ("ok", "all working"), ("degraded", "something is down"),
                              "API unreachable"),
                     color_scheme=rx.cond(SettingsState.overall == "ok", "green", "red"), data_testid="health-overall"),
            rx.icon_button(rx.icon("refresh-cw", size=14), size="2", variant="soft",
                           on_click=SettingsState.refresh_health, aria_label="Check again"),
            width="100%",
            align="center",
        ),
        rx.foreach(SettingsState.checks, check_row),
    )  # fmt: skip


def diagnostics_card() -> rx.Component:
    return card(
        rx.el.details(
            rx.el.summary("Diagnostics (admins)", cursor="pointer", font_weight="600"),
            rx.vstack(
                rx.text("What each part reports, for whoever runs this installation. API: ",
                        rx.code(SettingsState.api_url), size="2"),
                error_callout(SettingsState.diagnostics_error),
                rx.foreach(SettingsState.diagnostics, diagnostic_row),
                spacing="2",
                margin_top="8px",
                width="100%",
            ),
            width="100%",
            data_testid="diagnostics",
        ),
    )  # fmt: skip


def settings_page() -> rx.Component:
    return layout(
        error_callout(SettingsState.error),
        notice_callout(SettingsState.notice),
        workspace_card(),
        rx.cond(
            SettingsState.loaded,
            rx.vstack(
                rx.grid(llm_card(), health_card(), columns=rx.breakpoints(initial="1", md="2"), spacing="4",
                        width="100%"),
                rx.cond(SettingsState.is_admin, diagnostics_card()),
                spacing="4",
                width="100%",
            ),
            loading(),
        ),
        title="Settings",
        subtitle="Your workspace, how your twin answers, and the health of the platform.",
    )  # fmt: skip
