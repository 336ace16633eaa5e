"""Settings: workspace name, LLM status and service health from /health/ready."""

from __future__ import annotations

from typing import Any

import reflex as rx
from reflex.vars import ObjectVar

from frontend import api
from frontend.components import card, error_callout, layout, loading, notice_callout, section_title
from frontend.state import AuthState, PageState, Redirect, event


def _describe(check: dict[str, Any]) -> str:
    skip = {"ok", "error"}
    return ", ".join(f"{k}: {v}" for k, v in check.items() if k not in skip and not isinstance(v, dict | list))


class SettingsState(PageState, AuthState):
    overall: str = ""
    checks: list[dict[str, str]] = []
    llm_state: str = "unknown"
    llm_detail: str = ""
    api_url: str = ""

    async def _health(self) -> None:
        try:
            body = await api.health.ready()
        except api.ApiError as exc:
            self.overall, self.checks = "unreachable", []
            self.llm_state, self.llm_detail = "unknown", exc.detail
            return
        self.overall = str(body.get("status", "unknown"))
        raw: dict[str, Any] = body.get("checks", {}) or {}
        self.checks = [
            {
                "name": name,
                "ok": "yes" if c.get("ok") else "",
                "detail": str(c.get("error") or _describe(c) or "healthy"),
            }
            for name, c in raw.items()
            if isinstance(c, dict)
        ]
        llm = raw.get("llm")
        if not isinstance(llm, dict):
            self.llm_state = "not reported"
            self.llm_detail = "The API does not report an LLM yet; the twin answers in extractive mode."
        elif llm.get("ok"):
            self.llm_state = "reachable"
            self.llm_detail = _describe(llm) or "The language model answers."
        else:
            self.llm_state = "extractive"
            self.llm_detail = (
                f"No language model reachable ({llm.get('error', 'unknown reason')}). The twin still answers, in "
                "extractive mode built from your best passages."
            )

    async def _fetch_workspace(self) -> None:
        self.workspace_name = (await self._call(api.team.workspace)).name

    @event
    async def load(self) -> Redirect:
        self._clear_messages()
        self.api_url = api.base_url()
        if (redirect := await self._load_page(self._fetch_workspace)) is not None:
            return redirect
        await self._health()
        self.loaded = True
        return None

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
    async def refresh_health(self) -> None:
        await self._health()


def check_row(c: ObjectVar[dict[str, str]]) -> rx.Component:
    return rx.hstack(
        rx.cond(
            c["ok"] != "",
            rx.icon("circle-check", color=rx.color("green", 10)),
            rx.icon("circle-x", color=rx.color("red", 10)),
        ),
        rx.text(c["name"], weight="bold", min_width="110px"),
        rx.text(c["detail"], size="2", color_scheme="gray", word_break="break-word"),
        align="center",
        spacing="3",
        width="100%",
        data_testid="health-check",
    )


def settings_page() -> rx.Component:
    return layout(
        error_callout(SettingsState.error),
        notice_callout(SettingsState.notice),
        card(
            section_title("Workspace", "building"),
            rx.cond(
                SettingsState.is_admin,
                rx.form(
                    rx.flex(
                        rx.input(
                            name="name",
                            default_value=SettingsState.workspace_name,
                            key=SettingsState.workspace_name,
                            size="3",
                            flex="1",
                            min_width="220px",
                            data_testid="workspace-name",
                        ),
                        rx.button("Save", type="submit", size="3", data_testid="workspace-save"),
                        spacing="3",
                        wrap="wrap",
                    ),
                    on_submit=SettingsState.rename,
                    width="100%",
                ),
                rx.text(SettingsState.workspace_name, size="4", data_testid="workspace-name-readonly"),
            ),
        ),
        rx.cond(
            SettingsState.loaded,
            rx.grid(
                card(
                    section_title("Language model", "cpu"),
                    rx.badge(
                        SettingsState.llm_state,
                        size="2",
                        data_testid="llm-status",
                        color_scheme=rx.match(
                            SettingsState.llm_state, ("reachable", "green"), ("extractive", "amber"), "gray"
                        ),
                    ),
                    rx.text(SettingsState.llm_detail, size="2", color_scheme="gray"),
                ),
                card(
                    rx.hstack(
                        section_title("Service health", "activity"),
                        rx.spacer(),
                        rx.badge(
                            SettingsState.overall,
                            data_testid="health-overall",
                            color_scheme=rx.cond(SettingsState.overall == "ok", "green", "red"),
                        ),
                        rx.icon_button(
                            rx.icon("refresh-cw", size=14),
                            size="1",
                            variant="ghost",
                            on_click=SettingsState.refresh_health,
                            aria_label="Refresh",
                        ),
                        width="100%",
                        align="center",
                    ),
                    rx.foreach(SettingsState.checks, check_row),
                    rx.text("API: ", rx.code(SettingsState.api_url), size="1", color_scheme="gray"),
                ),
                columns=rx.breakpoints(initial="1", md="2"),
                spacing="4",
                width="100%",
            ),
            loading(),
        ),
        title="Settings",
        subtitle="Your workspace and the health of the platform.",
    )
