"""The Engagement page's state: the triggers, the editor (a new trigger, or a saved one being edited, its
parameters as one labelled field each), the preview, and the decision log."""

from __future__ import annotations

from typing import Any

import msgspec
import reflex as rx

from common.enums import ActionType, DecisionOutcome, TriggerKind
from frontend import api
from frontend.api.contracts import TriggerIn, TriggerOut
from frontend.pages.engagement.params import defaults, to_params, to_texts
from frontend.state import AuthState, PageState, Redirect, event

KINDS = [
    (TriggerKind.inactivity.value, "Quiet for some days"),
    (TriggerKind.missed_checkin.value, "Missed check-ins in a row"),
    (TriggerKind.streak_broken.value, "Streak broken"),
    (TriggerKind.milestone.value, "Milestone reached"),
    (TriggerKind.event.value, "A custom event"),
    (TriggerKind.risk.value, "A safety flag"),
]
ACTIONS = [
    (ActionType.twin_nudge.value, "Twin nudge on a topic"),
    (ActionType.message.value, "A fixed message"),
    (ActionType.notify_creator.value, "Tell me"),
]
OUTCOMES = ["all", *[o.value for o in DecisionOutcome]]
TEXT_ACTIONS = {ActionType.twin_nudge.value: "topic", ActionType.message.value: "text"}


def trigger_row(t: TriggerOut) -> dict[str, str]:
    action = t.action.get("type", "")
    what = t.action.get("topic") or t.action.get("text") or ""
    return {
        "id": str(t.id),
        "name": t.name,
        "kind": t.kind,
        "action": f"{action}: {what}" if what else str(action),
        "enabled": "yes" if t.enabled else "",
        "holdout": f"{t.holdout_percent}% holdout" if t.holdout_percent else "",
    }


class EngagementState(PageState, AuthState):
    rows: rx.Field[list[dict[str, str]]] = rx.field(default_factory=list)
    editing: str = ""  # the id of the saved trigger in the editor; empty for a new one
    editing_name: str = ""
    name: str = ""
    kind: str = TriggerKind.inactivity.value
    fields: rx.Field[dict[str, str]] = rx.field(default_factory=lambda: defaults("inactivity"))
    action: str = ActionType.twin_nudge.value
    text: str = ""
    holdout: str = "0"
    _saved: dict[str, Any] = {}  # the trigger being edited as the API sent it (what the editor does not show)
    preview_of: str = ""
    would_send: str = ""
    suppressed: rx.Field[list[str]] = rx.field(default_factory=list)
    outcome: str = "all"
    decisions: rx.Field[list[dict[str, str]]] = rx.field(default_factory=list)

    async def _fetch(self) -> None:
        self.rows = [trigger_row(t) for t in (await self._call(api.engagement.triggers)).triggers]
        await self._fetch_log()

    async def _fetch_log(self) -> None:
        names = {t["id"]: t["name"] for t in self.rows}
        people = {
            str(m.id): m.display_name or m.external_id or "Visitor" for m in await self._call(api.members.members)
        }
        chosen = None if self.outcome == "all" else self.outcome
        self.decisions = [
            {
                "trigger": names.get(str(d.trigger_id), "deleted trigger"),
                "member": people.get(str(d.member_id), str(d.member_id)[:8]),
                "outcome": d.outcome,
                "reason": d.reason,
                "at": d.at.isoformat(),  # shown by `when`, in the viewer's time zone
            }
            for d in (await self._call(api.engagement.log, chosen)).decisions
        ]

    def _blank(self) -> None:
        self.editing, self.editing_name, self._saved = "", "", {}
        self.name, self.text, self.holdout = "", "", "0"
        self.kind, self.action = TriggerKind.inactivity.value, ActionType.twin_nudge.value
        self.fields = defaults(self.kind)

    @event
    async def load(self) -> Redirect:
        self._clear_messages()
        self._blank()
        redirect = await self._load_page(self._fetch)
        self.loaded = redirect is None
        return redirect

    @event
    def set_kind(self, value: str | list[str]) -> None:
        chosen = value if isinstance(value, str) else value[0]
        saved = self._saved.get("kind") == chosen
        self.kind = chosen
        self.fields = to_texts(chosen, self._saved["params"]) if saved else defaults(chosen)

    @event
    def set_field(self, key: str, value: str) -> None:
        self.fields = {**self.fields, key: value}

    @event
    def set_action(self, value: str | list[str]) -> None:
        self.action = value if isinstance(value, str) else value[0]

    @event
    def set_name(self, value: str) -> None:
        self.name = value

    @event
    def set_text(self, value: str) -> None:
        self.text = value

    @event
    def set_holdout(self, value: str) -> None:
        self.holdout = value

    @event
    async def edit(self, trigger_id: str) -> Redirect:
        """Open a saved trigger in the editor."""
        self._clear_messages()

        async def work() -> Redirect:
            t = await self._call(api.engagement.trigger, trigger_id)
            self._saved = msgspec.to_builtins(t)
            self.editing, self.editing_name, self.name = str(t.id), t.name, t.name
            self.kind, self.action = str(t.kind), str(t.action.get("type", ActionType.notify_creator.value))
            self.fields = to_texts(self.kind, t.params)
            self.text = str(t.action.get(TEXT_ACTIONS.get(self.action, ""), ""))
            self.holdout = str(t.holdout_percent)
            return None

        return await self._attempt(work)

    @event
    def cancel_edit(self) -> None:
        self._clear_messages()
        self._blank()

    def _body(self) -> TriggerIn:
        saved = self._saved
        same_kind = saved.get("kind") == self.kind
        keep = {k: v for k, v in saved.get("params", {}).items() if same_kind and k == "program_id"}
        action: dict[str, Any] = {"type": self.action}
        if self.action in TEXT_ACTIONS:
            action[TEXT_ACTIONS[self.action]] = self.text.strip()
        elif saved.get("action", {}).get("type") == self.action:
            action = dict(saved["action"])  # e.g. an enroll action's program, which the editor does not show
        try:
            holdout = int(self.holdout or 0)
        except ValueError:
            holdout = -1  # the API names the range
        fields = {f: saved[f] for f in TriggerIn.__struct_fields__ if f in saved}
        fields.update(
            name=self.name.strip() or "Untitled trigger",
            kind=self.kind,
            params=to_params(self.kind, self.fields, keep),
            action=action,
            holdout_percent=holdout,
        )
        return msgspec.convert(fields, TriggerIn)

    @event
    async def save(self, _form: dict[str, Any]) -> Redirect:
        self._clear_messages()
        try:
            body = self._body()
        except ValueError as exc:
            self.error = str(exc)
            return None

        async def work() -> Redirect:
            if self.editing:
                await self._call(api.engagement.update_trigger, self.editing, body)
                self.notice = f"Trigger “{body.name}” updated."
            else:
                await self._call(api.engagement.create_trigger, body)
                self.notice = "Trigger saved (off): preview it, then switch it on."
            self._blank()
            await self._fetch()
            return None

        return await self._attempt(work)

    @event
    async def toggle(self, trigger_id: str, on: bool) -> Redirect:
        async def work() -> Redirect:
            found = [t for t in (await self._call(api.engagement.triggers)).triggers if str(t.id) == trigger_id]
            if found:
                await self._call(api.engagement.set_enabled, found[0], on)
            await self._fetch()
            return None

        return await self._attempt(work)

    @event
    async def remove(self, trigger_id: str) -> Redirect:
        async def work() -> Redirect:
            await self._call(api.engagement.delete_trigger, trigger_id)
            if self.editing == trigger_id:
                self._blank()
            await self._fetch()
            return None

        return await self._attempt(work)

    @event
    async def preview(self, trigger_id: str) -> Redirect:
        async def work() -> Redirect:
            out = await self._call(api.engagement.preview, trigger_id)
            self.preview_of = next((t["name"] for t in self.rows if t["id"] == trigger_id), "")
            self.would_send = f"{len(out.would_send)} member(s) would receive it now."
            self.suppressed = [f"{len(ids)} held back: {reason}" for reason, ids in out.suppressed.items()]
            return None

        return await self._attempt(work)

    @event
    async def set_outcome(self, value: str | list[str]) -> Redirect:
        chosen = value if isinstance(value, str) else value[0]
        self.outcome = chosen if chosen in OUTCOMES else "all"
        return await self._attempt(self._fetch_log)
