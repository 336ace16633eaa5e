"""The program builder's state: the graph on the canvas, the selected step in the side panel, undo/redo,
save (the server checks the draft and names the problems), publish and export.

The builder keeps the graph in a backend-only var (`_graph`) and sends the canvas a copy only when Python
changed it (`canvas_graph` + `canvas_rev`), so dragging on the canvas never echoes the graph back. The
simulator and the enrollments panel have states of their own (`simulator.py`, `enrollments.py`); the path a
simulation took is drawn from `sim_path` here, because the canvas shows it.
"""

from __future__ import annotations

import json
import re
from typing import Any

import msgspec
import reflex as rx
from reflex.event import EventCallback

from frontend import api
from frontend.api.contracts import IssueOut, ProgramOut, ProgramUpdate
from frontend.pages.programs import editing
from frontend.state import AuthState, PageState, Redirect, event

ANSWERED = ("checkin", "twin")
Recheck = EventCallback[()]  # an edit answers with the event that checks the new graph


PANEL_FIELDS = {
    "end": ("title",),
    "message": ("title", "text", "variants"),
    "checkin": ("title", "question", "kind", "min", "max", "window_minutes"),
    "wait": ("title", "duration_minutes", "until"),
    "condition": ("title", "source", "node", "attribute", "event"),
    "goal": ("title", "name", "streak_of", "target"),
    "twin": ("title", "topic", "max_turns", "prompt", "window_minutes"),
}


def panel_values(node: dict[str, Any] | None) -> dict[str, str]:
    """A node's fields as the side panel's inputs show them: strings, every field of its type present (so
    inputs stay controlled), the wait mode derived."""
    if node is None:
        return {}
    data = node.get("data") or {}
    values = {k: "" for k in PANEL_FIELDS.get(str(node.get("type")), ())}
    values |= {k: "" if v is None else str(v) for k, v in data.items() if not isinstance(v, list | dict)}
    values["id"], values["type"] = str(node.get("id")), str(node.get("type"))
    if node.get("type") == "wait":
        values["mode"] = "until" if data.get("until") is not None else "duration"
    if isinstance(data.get("variants"), list):
        values["variants"] = "\n".join(str(v) for v in data["variants"])
    return values


class BuilderState(PageState, AuthState):
    program_id: str = ""
    name: str = ""
    description: str = ""
    revision: int = 0
    published_version: rx.Field[int] = rx.field(0)
    versions: rx.Field[list[dict[str, str]]] = rx.field(default_factory=list)
    issues: rx.Field[list[dict[str, Any]]] = rx.field(default_factory=list)
    warnings: rx.Field[list[dict[str, Any]]] = rx.field(default_factory=list)
    checked_unsaved: bool = False  # the problems shown are of the graph on the canvas, not of the saved draft
    confirm_publish: bool = False
    notice: str = ""
    warning: str = ""
    dirty: bool = False
    saving: bool = False
    tab: str = "build"

    canvas_graph: dict[str, Any] = {"nodes": [], "edges": []}
    canvas_rev: int = 0
    fit_token: int = 0
    _graph: dict[str, Any] = {"nodes": [], "edges": []}
    _history: editing.History = editing.History()
    can_undo: bool = False
    can_redo: bool = False

    selected_id: str = ""
    sel: dict[str, str] = {}
    sel_rules: list[dict[str, str]] = []
    checkin_ids: list[str] = []

    sim_targets: list[dict[str, str]] = []
    sim_path: list[str] = []

    # --- derived ------------------------------------------------------------------------------------

    @rx.var
    def problem_nodes(self) -> list[str]:
        return sorted({str(n) for i in self.issues for n in i.get("node_ids") or []})

    @rx.var
    def warned_nodes(self) -> list[str]:
        return sorted({str(n) for i in self.warnings for n in i.get("node_ids") or []})

    @rx.var
    def node_count(self) -> int:
        return len(self.canvas_graph.get("nodes") or [])

    # --- loading ------------------------------------------------------------------------------------

    def _apply(self, p: ProgramOut, *, keep_graph: bool = False) -> None:
        self.program_id = str(p.id)
        self.name, self.description = p.name, p.description
        self.revision = p.revision
        self.published_version = p.published_version or 0
        # `at` is shown by `when`, in the viewer's time zone
        self.versions = [{"version": str(v.version), "at": v.published_at.isoformat()} for v in p.versions]
        self._problems(p.issues, p.warnings)
        if not keep_graph:
            self._history = editing.History()
            self._show(editing.normalise(p.graph), fit=True)
            self.dirty = False

    def _problems(self, issues: list[IssueOut], warnings: list[IssueOut]) -> None:
        self.issues = [{"code": i.code, "message": i.message, "node_ids": i.node_ids} for i in issues]
        self.warnings = [{"code": i.code, "message": i.message, "node_ids": i.node_ids} for i in warnings]

    def _show(self, graph: editing.Graph, *, fit: bool = False) -> None:
        """Make `graph` the current one and send it to the canvas."""
        self._graph = graph
        self.canvas_graph = graph
        self.canvas_rev += 1
        if fit:
            self.fit_token += 1
        self._refresh_side()

    def _refresh_side(self) -> None:
        node = editing.find(self._graph, self.selected_id) if self.selected_id else None
        if self.selected_id and node is None:
            self.selected_id = ""
        self.sel = panel_values(node)
        rules = (node or {}).get("data", {}).get("rules") if node else None
        self.sel_rules = [
            {"index": str(i), "label": str(r.get("label", "")), "op": str(r.get("op", "eq")),
             "value": "" if r.get("value") is None else str(r.get("value"))}
            for i, r in enumerate(rules or []) if isinstance(r, dict)
        ]  # fmt: skip
        answered = [n for n in self._graph["nodes"] if n.get("type") in ANSWERED]
        self.checkin_ids = [str(n["id"]) for n in answered if n.get("type") == "checkin"]
        self.sim_targets = [
            {"id": str(n["id"]), "type": str(n["type"]),
             "label": str((n.get("data") or {}).get("question") or (n.get("data") or {}).get("topic") or n["id"])}
            for n in answered
        ]  # fmt: skip
        self.can_undo, self.can_redo = bool(self._history.past), bool(self._history.future)

    def _change(self, graph: editing.Graph, *, to_canvas: bool = True) -> Recheck:
        """An edit: remember the previous graph for undo, then show the new one."""
        self._history.record(self._graph)
        self.dirty = True
        self.sim_path = []
        if to_canvas:
            self._show(graph)
        else:
            self._graph = graph
            self._refresh_side()
        return BuilderState.recheck

    @event
    async def load(self) -> Redirect:
        self.error = self.notice = self.warning = ""
        self.loaded, self.tab, self.selected_id, self.program_id, self.sim_path = False, "build", "", "", []
        program_id = self._route_param("program_id")

        async def fetch() -> None:
            self._apply(await self._call(api.programs.program, program_id))

        def failed(exc: api.ApiError) -> None:
            self.error = "This program does not exist in your workspace." if exc.status in {404, 422} else exc.detail

        redirect = await self._load_page(fetch, failed)
        self.loaded = True
        return redirect

    # --- canvas events ------------------------------------------------------------------------------

    @event
    def canvas_changed(self, graph: dict[str, Any]) -> Recheck | None:
        """The canvas finished a drag, a connection or a deletion (it already shows the result)."""
        return self._change(editing.normalise(graph), to_canvas=False)

    @event
    def add_node(self, node_type: str, x: int, y: int) -> Recheck | None:
        try:
            graph, node_id = editing.add_node(self._graph, node_type, x, y)
        except ValueError:
            return None
        self.selected_id = node_id
        return self._change(graph)

    @event
    def select(self, node_id: str) -> None:
        self.selected_id = node_id
        self._refresh_side()

    @event
    def undo(self) -> Recheck | None:
        return self._restore(self._history.undo(self._graph))

    @event
    def redo(self) -> Recheck | None:
        return self._restore(self._history.redo(self._graph))

    def _restore(self, graph: editing.Graph | None) -> Recheck | None:
        if graph is None:
            return None
        self.dirty = True
        self._show(graph)
        return BuilderState.recheck

    @event
    def layout(self) -> Recheck | None:
        self.fit_token += 1
        return self._change(editing.auto_layout(self._graph))

    @event
    def delete_selected(self) -> Recheck | None:
        if not self.selected_id:
            return None
        return self._change(editing.remove_node(self._graph, self.selected_id))

    # --- the node panel -----------------------------------------------------------------------------

    @event
    def edit(self, key: str, value: str) -> None:
        """Typing in a panel field (committed to the graph on blur)."""
        self.sel = {**self.sel, key: value}

    @event
    def commit(self, key: str) -> Recheck | None:
        value: Any = self.sel.get(key, "")
        if key == "variants":
            value = [line.strip() for line in str(value).splitlines() if line.strip()] or None
        return self._change(editing.set_field(self._graph, self.selected_id, key, value))

    @event
    def choose(self, key: str, value: str) -> Recheck | None:
        """A select changed: commit at once."""
        self.sel = {**self.sel, key: value}
        if key == "mode":
            return self._change(editing.set_wait_mode(self._graph, self.selected_id, value))
        return self._change(editing.set_field(self._graph, self.selected_id, key, value))

    @event
    def edit_rule(self, index: int, key: str, value: str) -> None:
        self.sel_rules = [{**r, key: value} if r["index"] == str(index) else r for r in self.sel_rules]

    @event
    def commit_rule(self, index: int, key: str) -> Recheck | None:
        row = next((r for r in self.sel_rules if r["index"] == str(index)), None)
        if row is None:
            return None
        return self._change(editing.set_rule(self._graph, self.selected_id, index, key, row[key]))

    @event
    def choose_rule(self, index: int, key: str, value: str) -> Recheck | None:
        return self._change(editing.set_rule(self._graph, self.selected_id, index, key, value))

    @event
    def add_rule(self) -> Recheck | None:
        return self._change(editing.add_rule(self._graph, self.selected_id))

    @event
    def remove_rule(self, index: int) -> Recheck | None:
        return self._change(editing.remove_rule(self._graph, self.selected_id, index))

    @event
    def focus_issue(self, node_ids: list[str]) -> None:
        if node_ids:
            self.selected_id = str(node_ids[0])
            self._refresh_side()

    @event
    async def recheck(self) -> Redirect:
        """Check the graph as it is on the canvas (unsaved), so the problems follow each edit."""

        async def work() -> Redirect:
            checked = await self._call(api.programs.check, api.programs.graph_in(self._graph))
            self._problems(checked.issues, checked.warnings)
            self.checked_unsaved = self.dirty
            return None

        return await self._attempt(work)

    # --- save, validate, publish, export ------------------------------------------------------------

    async def _save(self) -> None:
        body = ProgramUpdate(name=self.name.strip() or "Untitled program", description=self.description,
                             graph=api.programs.graph_in(self._graph), revision=self.revision)  # fmt: skip
        self._apply(await self._call(api.programs.save, self.program_id, body), keep_graph=True)
        self.dirty = self.checked_unsaved = False

    @event
    def set_name(self, value: str) -> None:
        self.name, self.dirty = value, True

    @event
    async def save(self) -> Any:
        self.error = self.notice = self.warning = ""
        self.saving = True
        yield

        async def work() -> Redirect:
            await self._save()
            count = len(self.issues)
            if count:
                self.warning = f"Saved. {count} problem(s) to fix before publishing: they are marked on the canvas."
            else:
                self.notice = "Saved. No problems found."
            return None

        try:
            yield await self._attempt(work)
        finally:
            self.saving = False

    @event
    def cancel_publish(self) -> None:
        self.confirm_publish = False

    @event
    async def publish(self, despite_warnings: bool) -> Any:
        """Save, then publish; with warnings, first ask (the dialog calls this again with `despite_warnings`)."""
        self.error = self.notice = self.warning = ""
        self.confirm_publish = False
        self.saving = True
        yield

        async def work() -> Redirect:
            await self._save()
            if self.issues:
                self.error = f"Fix the {len(self.issues)} problem(s) marked on the canvas before publishing."
                return None
            if self.warnings and not despite_warnings:
                self.confirm_publish = True
                return None
            published = await self._call(api.programs.publish, self.program_id)
            self._apply(await self._call(api.programs.program, self.program_id), keep_graph=True)
            self.notice = (
                f"Published version {published.version}. New enrollments get it; "
                "members already enrolled stay on theirs."
            )
            return None

        try:
            yield await self._attempt(work)
        finally:
            self.saving = False

    @event
    async def export(self) -> Redirect:
        self.error = ""

        async def work() -> Redirect:
            if self.dirty:
                await self._save()
            data = await self._call(api.programs.export, self.program_id)
            body = msgspec.to_builtins(data)
            slug = re.sub(r"[^a-z0-9]+", "-", self.name.lower()).strip("-") or "program"
            return rx.download(data=json.dumps(body, indent=2, ensure_ascii=False), filename=f"{slug}.json")

        return await self._attempt(work)

    @event
    def set_tab(self, tab: str | list[str]) -> None:
        self.tab = tab if isinstance(tab, str) else (tab[0] if tab else "build")
