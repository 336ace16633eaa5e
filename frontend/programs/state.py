"""States of the programs pages: the list (create, templates, import) and the builder (canvas, node panel,
save/validate/publish, simulator, enrollments).

The builder keeps the graph in a backend-only var (`_graph`) and sends the canvas a copy only when Python
changed it (`canvas_graph` + `canvas_rev`), so dragging on the canvas never echoes the graph back.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from typing import Any

import reflex as rx

from frontend import api
from frontend.feature_state import load_feature
from frontend.programs import client, editing
from frontend.state import AuthState, SessionExpired

ANSWERED = ("checkin", "twin")


def summary_row(p: dict[str, Any]) -> dict[str, Any]:
    published = p.get("published_version")
    return {
        "id": str(p["id"]),
        "name": str(p.get("name") or "Untitled"),
        "description": str(p.get("description") or ""),
        "status": f"published v{published}" if published else "draft",
        "enrollments": int(p.get("active_enrollments") or 0),
        "updated": str(p.get("updated_at") or "")[:16].replace("T", " "),
    }


PANEL_FIELDS = {
    "message": ("text", "variants"),
    "checkin": ("question", "kind", "min", "max", "window_minutes"),
    "wait": ("duration_minutes", "until"),
    "condition": ("source", "node", "attribute", "event"),
    "goal": ("name", "streak_of", "target"),
    "twin": ("topic", "max_turns", "prompt", "window_minutes"),
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


def parse_answer(raw: str) -> Any:
    """A scripted simulator answer: numbers as numbers; `4; 5; 2` gives one answer per visit."""
    parts = [p.strip() for p in raw.split(";") if p.strip()]
    values = [float(p) if re.fullmatch(r"-?\d+(\.\d+)?", p) else p for p in parts]
    values = [int(v) if isinstance(v, float) and v.is_integer() else v for v in values]
    return values if len(values) > 1 else values[0] if values else None


def enrollment_where(e: dict[str, Any]) -> str:
    """Where a member is in the program, in one line: version, step, what it waits for and until when."""
    parts = [f"v{e.get('version') or '?'}", f"at {e.get('current_node') or '-'}", f"{e.get('steps') or 0} steps"]
    if e.get("waiting"):
        parts.append(f"waiting for {e['waiting']}")
    if e.get("next_due_at"):
        parts.append(f"next {str(e['next_due_at'])[:16].replace('T', ' ')} UTC")
    if e.get("error"):
        parts.append(f"error: {e['error']}")
    return " · ".join(parts)


class ProgramsState(AuthState):
    available: bool = True
    loaded: bool = False
    error: str = ""
    programs: list[dict[str, Any]] = []
    templates: list[dict[str, str]] = []
    busy_key: str = ""

    async def _guard(self, action: Callable[[], Awaitable[Any]]) -> Any:
        """Run an API action: the sign-in redirect when the session is gone, the error shown otherwise."""
        try:
            return await action()
        except SessionExpired:
            return self.to_signin()
        except api.ApiError as exc:
            self.error = exc.detail
        return None

    async def _fetch(self) -> None:
        self.programs = [summary_row(p) for p in await self.call(client.programs)]
        self.templates = [
            {"key": str(t["key"]), "name": str(t["name"]), "description": str(t["description"])}
            for t in await self.call(client.templates)
        ]

    @rx.event
    async def load(self) -> Any:
        self.error, self.busy_key = "", ""
        return await load_feature(self, self._fetch)

    async def _open(self, make: Callable[[], Awaitable[dict[str, Any]]]) -> Any:
        async def go() -> Any:
            created = await make()
            return rx.redirect(f"/programs/{created['id']}")

        return await self._guard(go)

    @rx.event
    async def create(self, form: dict[str, Any]) -> Any:
        name = str(form.get("name", "")).strip()
        if not name:
            self.error = "Give the program a name."
            return None
        self.error = ""
        return await self._open(lambda: self.call(client.create, name, str(form.get("description", "")).strip()))

    @rx.event
    async def use_template(self, key: str) -> Any:
        self.busy_key, self.error = key, ""
        yield
        yield await self._open(lambda: self.call(client.import_program, {"template": key}))
        self.busy_key = ""

    @rx.event
    async def import_file(self, files: list[rx.UploadFile]) -> Any:
        """Import a program exported from this or another workspace (a `coachtwin.program/v1` JSON file)."""
        self.error = ""
        if not files:
            return None
        raw = await files[0].read()
        try:
            body = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            self.error = "That file is not a program export (it is not JSON)."
            return None
        if not isinstance(body, dict):
            self.error = "That file is not a program export."
            return None
        return await self._open(lambda: self.call(client.import_program, body))


class BuilderState(ProgramsState):
    program_id: str = ""
    name: str = ""
    description: str = ""
    revision: int = 0
    published_version: int = 0
    versions: list[dict[str, str]] = []
    issues: list[dict[str, Any]] = []
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
    sim_answers: dict[str, str] = {}
    sim_timezone: str = "UTC"
    sim_start: str = ""
    sim_running: bool = False
    sim_status: str = ""
    sim_detail: str = ""
    sim_transcript: list[dict[str, str]] = []
    sim_path: list[str] = []
    sim_goals: list[str] = []

    enrollments: list[dict[str, str]] = []
    members: list[dict[str, str]] = []
    enroll_member: str = ""

    # --- derived ------------------------------------------------------------------------------------

    @rx.var
    def problem_nodes(self) -> list[str]:
        return sorted({str(n) for i in self.issues for n in i.get("node_ids") or []})

    @rx.var
    def node_count(self) -> int:
        return len(self.canvas_graph.get("nodes") or [])

    # --- loading ------------------------------------------------------------------------------------

    def _apply(self, p: dict[str, Any], *, keep_graph: bool = False) -> None:
        self.program_id = str(p["id"])
        self.name, self.description = str(p.get("name") or ""), str(p.get("description") or "")
        self.revision = int(p.get("revision") or 0)
        self.published_version = int(p.get("published_version") or 0)
        self.versions = [
            {"version": str(v["version"]), "at": str(v["published_at"])[:16].replace("T", " ")}
            for v in p.get("versions") or []
        ]
        self.issues = list(p.get("issues") or [])
        if not keep_graph:
            self._history = editing.History()
            self._show(editing.normalise(p.get("graph")), fit=True)
            self.dirty = False

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

    def _change(self, graph: editing.Graph, *, to_canvas: bool = True) -> None:
        """An edit: remember the previous graph for undo, then show the new one."""
        self._history.record(self._graph)
        self.dirty = True
        self.sim_path = []
        if to_canvas:
            self._show(graph)
        else:
            self._graph = graph
            self._refresh_side()

    @rx.event
    async def load(self) -> Any:
        self.error = self.notice = self.warning = ""
        self.loaded, self.tab, self.selected_id, self.program_id = False, "build", "", ""
        self.sim_status, self.sim_transcript, self.sim_path, self.sim_answers = "", [], [], {}
        program_id = str(self.router.page.params.get("program_id", ""))

        async def fetch() -> None:
            self._apply(await self.call(client.program, program_id))
            self.available = True

        def failed(exc: api.ApiError) -> None:
            self.error = "This program does not exist in your workspace." if exc.status in {404, 422} else exc.detail

        redirect = await self._load_signed_in(fetch, failed)
        self.loaded = True
        return redirect

    # --- canvas events ------------------------------------------------------------------------------

    @rx.event
    def canvas_changed(self, graph: dict[str, Any]) -> None:
        """The canvas finished a drag, a connection or a deletion (it already shows the result)."""
        self._change(editing.normalise(graph), to_canvas=False)

    @rx.event
    def add_node(self, node_type: str, x: int, y: int) -> None:
        try:
            graph, node_id = editing.add_node(self._graph, node_type, x, y)
        except ValueError:
            return
        self.selected_id = node_id
        self._change(graph)

    @rx.event
    def select(self, node_id: str) -> None:
        self.selected_id = node_id
        self._refresh_side()

    @rx.event
    def undo(self) -> None:
        graph = self._history.undo(self._graph)
        if graph is not None:
            self.dirty = True
            self._show(graph)

    @rx.event
    def redo(self) -> None:
        graph = self._history.redo(self._graph)
        if graph is not None:
            self.dirty = True
            self._show(graph)

    @rx.event
    def layout(self) -> None:
        self._change(editing.auto_layout(self._graph))
        self.fit_token += 1

    @rx.event
    def delete_selected(self) -> None:
        if self.selected_id:
            self._change(editing.remove_node(self._graph, self.selected_id))

    # --- the node panel -----------------------------------------------------------------------------

    @rx.event
    def edit(self, key: str, value: str) -> None:
        """Typing in a panel field (committed to the graph on blur)."""
        self.sel = {**self.sel, key: value}

    @rx.event
    def commit(self, key: str) -> None:
        value: Any = self.sel.get(key, "")
        if key == "variants":
            value = [line.strip() for line in str(value).splitlines() if line.strip()] or None
        self._change(editing.set_field(self._graph, self.selected_id, key, value))

    @rx.event
    def choose(self, key: str, value: str) -> None:
        """A select changed: commit at once."""
        self.sel = {**self.sel, key: value}
        if key == "mode":
            self._change(editing.set_wait_mode(self._graph, self.selected_id, value))
        else:
            self._change(editing.set_field(self._graph, self.selected_id, key, value))

    @rx.event
    def edit_rule(self, index: int, key: str, value: str) -> None:
        self.sel_rules = [{**r, key: value} if r["index"] == str(index) else r for r in self.sel_rules]

    @rx.event
    def commit_rule(self, index: int, key: str) -> None:
        row = next((r for r in self.sel_rules if r["index"] == str(index)), None)
        if row is not None:
            self._change(editing.set_rule(self._graph, self.selected_id, index, key, row[key]))

    @rx.event
    def choose_rule(self, index: int, key: str, value: str) -> None:
        self._change(editing.set_rule(self._graph, self.selected_id, index, key, value))

    @rx.event
    def add_rule(self) -> None:
        self._change(editing.add_rule(self._graph, self.selected_id))

    @rx.event
    def remove_rule(self, index: int) -> None:
        self._change(editing.remove_rule(self._graph, self.selected_id, index))

    @rx.event
    def focus_issue(self, node_ids: list[str]) -> None:
        if node_ids:
            self.selected_id = str(node_ids[0])
            self._refresh_side()

    # --- save, validate, publish, export ------------------------------------------------------------

    async def _save(self) -> None:
        body = {"name": self.name.strip() or "Untitled program", "description": self.description,
                "graph": self._graph, "revision": self.revision}  # fmt: skip
        self._apply(await self.call(client.save, self.program_id, body), keep_graph=True)
        self.dirty = False

    @rx.event
    def set_name(self, value: str) -> None:
        self.name, self.dirty = value, True

    @rx.event
    async def save(self) -> Any:
        self.error = self.notice = self.warning = ""
        self.saving = True
        yield

        async def go() -> None:
            await self._save()
            count = len(self.issues)
            if count:
                self.warning = f"Saved. {count} problem(s) to fix before publishing: they are marked on the canvas."
            else:
                self.notice = "Saved. No problems found."

        yield await self._guard(go)
        self.saving = False

    @rx.event
    async def publish(self) -> Any:
        self.error = self.notice = self.warning = ""
        self.saving = True
        yield

        async def go() -> None:
            await self._save()
            if self.issues:
                self.error = f"Fix the {len(self.issues)} problem(s) marked on the canvas before publishing."
                return
            published = await self.call(client.publish, self.program_id)
            self._apply(await self.call(client.program, self.program_id), keep_graph=True)
            self.notice = (
                f"Published version {published['version']}. New enrollments get it; "
                "members already enrolled stay on theirs."
            )

        yield await self._guard(go)
        self.saving = False

    @rx.event
    async def export(self) -> Any:
        self.error = ""

        async def go() -> Any:
            if self.dirty:
                await self._save()
            data = await self.call(client.export, self.program_id)
            slug = re.sub(r"[^a-z0-9]+", "-", self.name.lower()).strip("-") or "program"
            return rx.download(data=json.dumps(data, indent=2, ensure_ascii=False), filename=f"{slug}.json")

        return await self._guard(go)

    @rx.event
    def set_tab(self, tab: str | list[str]) -> Any:
        self.tab = tab if isinstance(tab, str) else (tab[0] if tab else "build")
        if tab == "enrollments":
            return BuilderState.load_enrollments
        return None

    # --- simulator ----------------------------------------------------------------------------------

    @rx.event
    def set_answer(self, node_id: str, value: str) -> None:
        self.sim_answers = {**self.sim_answers, node_id: value}

    @rx.event
    def set_sim_timezone(self, value: str) -> None:
        self.sim_timezone = value

    @rx.event
    def set_sim_start(self, value: str) -> None:
        self.sim_start = value

    @rx.event
    async def simulate(self) -> Any:
        self.error = self.notice = ""
        self.sim_running = True
        yield

        async def go() -> None:
            if self.dirty:
                await self._save()
            answers = {k: parse_answer(v) for k, v in self.sim_answers.items() if v.strip()}
            body: dict[str, Any] = {"answers": answers, "timezone": self.sim_timezone.strip() or "UTC"}
            if self.sim_start.strip():
                body["start_at"] = self.sim_start.strip() + ("" if len(self.sim_start.strip()) > 16 else ":00Z")
            result = await self.call(client.simulate, self.program_id, body)
            self.sim_status, self.sim_detail = str(result["status"]), str(result.get("detail") or "")
            self.sim_path = [str(n) for n in result.get("path") or []]
            self.sim_transcript = [
                {"at": str(t["local"])[:16].replace("T", " "), "role": str(t["role"]),
                 "node": str(t.get("node_id") or ""), "text": str(t["text"])}
                for t in result.get("transcript") or []
            ]  # fmt: skip
            self.sim_goals = [str(g.get("name") or g) for g in result.get("goals") or []]

        yield await self._guard(go)
        self.sim_running = False

    # --- enrollments --------------------------------------------------------------------------------

    async def _fetch_enrollments(self) -> None:
        members = await self.call(client.members)
        names = {str(m["id"]): str(m.get("display_name") or m.get("external_id")) for m in members}
        self.members = [{"id": k, "label": v} for k, v in names.items()]
        self.enrollments = [
            {"id": str(e["id"]), "member": names.get(str(e["member_id"]), str(e["member_id"])[:8]),
             "status": str(e["status"]), "where": enrollment_where(e)}
            for e in await self.call(client.enrollments, self.program_id)
        ]  # fmt: skip

    @rx.event
    async def load_enrollments(self) -> Any:
        self.error = ""
        return await self._guard(self._fetch_enrollments)

    @rx.event
    def set_enroll_member(self, value: str) -> None:
        self.enroll_member = value

    @rx.event
    async def add_member(self, form: dict[str, Any]) -> Any:
        """Add a member (by email or another id of theirs) and select them for enrolling."""
        external = str(form.get("external_id", "")).strip()
        if not external:
            self.error = "Give the member an email or another id."
            return None

        async def go() -> None:
            name = str(form.get("display_name", "")).strip()
            tz = str(form.get("timezone", "")).strip() or "UTC"
            member = await self.call(client.upsert_member, external, name or external, tz)
            await self._fetch_enrollments()
            self.enroll_member = str(member["id"])

        self.error = ""
        return await self._guard(go)

    @rx.event
    async def enroll(self) -> Any:
        self.error = self.notice = ""
        if not self.enroll_member:
            self.error = "Choose a member to enroll."
            return None

        async def go() -> None:
            await self.call(client.enroll, self.program_id, self.enroll_member)
            await self._fetch_enrollments()
            self.notice = "Enrolled. The first steps run now; waits continue on the member's clock."

        return await self._guard(go)

    @rx.event
    async def enrollment_action(self, enrollment_id: str, action: str) -> Any:
        self.error = self.notice = ""

        async def go() -> None:
            await self.call(client.enrollment_action, enrollment_id, action)
            await self._fetch_enrollments()

        return await self._guard(go)
