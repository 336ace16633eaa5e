"""Engagement: the creator's triggers (create one per kind, switch on and off, preview who would be reached now
and who would be held back and why, delete) and the scheduler's decision log, filtered by outcome."""

from __future__ import annotations

import json
from typing import Any

import reflex as rx
from reflex.vars import ObjectVar

from common.enums import ActionType, DecisionOutcome, TriggerKind
from frontend import api, format
from frontend.api.contracts import TriggerIn, TriggerOut
from frontend.components import card, choice, empty_state, error_callout, labeled, notice_callout, section_title
from frontend.components.frame import layout
from frontend.components.gates import page_body
from frontend.state import AuthState, PageState, Redirect, event

KINDS = [
    (TriggerKind.inactivity.value, "Quiet for some days", '{"days": 3}'),
    (TriggerKind.missed_checkin.value, "Missed check-ins in a row", '{"count": 2}'),
    (TriggerKind.streak_broken.value, "Streak broken", '{"event": "habit_done", "grace_days": 1}'),
    (TriggerKind.milestone.value, "Milestone reached", '{"event": "habit_done", "count": 10}'),
    (TriggerKind.event.value, "A custom event", '{"name": "run_logged", "where": {}}'),
    (TriggerKind.risk.value, "A safety flag", "{}"),
]
ACTIONS = [
    (ActionType.twin_nudge.value, "Twin nudge on a topic"),
    (ActionType.message.value, "A fixed message"),
    (ActionType.notify_creator.value, "Tell me"),
]
OUTCOMES = ["all", *[o.value for o in DecisionOutcome]]


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
    kind: str = TriggerKind.inactivity.value
    action: str = ActionType.twin_nudge.value
    params_text: str = KINDS[0][2]
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
                "at": format.minute(d.at),
            }
            for d in (await self._call(api.engagement.log, chosen)).decisions
        ]

    @event
    async def load(self) -> Redirect:
        self._clear_messages()
        redirect = await self._load_page(self._fetch)
        self.loaded = redirect is None
        return redirect

    @event
    def set_kind(self, value: str | list[str]) -> None:
        chosen = value if isinstance(value, str) else value[0]
        self.kind = chosen
        self.params_text = next((p for k, _, p in KINDS if k == chosen), "{}")

    @event
    def set_action(self, value: str | list[str]) -> None:
        self.action = value if isinstance(value, str) else value[0]

    @event
    def set_params_text(self, value: str) -> None:
        self.params_text = value

    @event
    async def create(self, form: dict[str, Any]) -> Redirect:
        self._clear_messages()
        try:
            params = json.loads(self.params_text or "{}")
        except json.JSONDecodeError:
            self.error = 'Parameters: write them as JSON, e.g. {"days": 3}.'
            return None
        text = str(form.get("text", "")).strip()
        action: dict[str, Any] = {"type": self.action}
        if self.action == ActionType.twin_nudge.value:
            action["topic"] = text
        elif self.action == ActionType.message.value:
            action["text"] = text
        try:
            holdout = int(str(form.get("holdout") or 0))
        except ValueError:
            holdout = -1
        body = TriggerIn(
            name=str(form.get("name", "")).strip() or "Untitled trigger",
            kind=TriggerKind(self.kind),
            params=params if isinstance(params, dict) else {},
            action=action,
            holdout_percent=holdout,
        )

        async def work() -> Redirect:
            await self._call(api.engagement.create_trigger, body)
            self.notice = "Trigger saved (off): preview it, then switch it on."
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


def row(t: ObjectVar[dict[str, str]]) -> rx.Component:
    return rx.hstack(
        rx.switch(
            checked=t["enabled"] != "",
            on_change=lambda on: EngagementState.toggle(t["id"], on),
            aria_label="On: " + t["name"],
        ),
        rx.vstack(
            rx.text(t["name"], weight="medium", size="2"),
            rx.text(t["kind"], " · ", t["action"], size="1", color_scheme="gray"),
            spacing="0",
            flex="1",
        ),
        rx.cond(t["holdout"] != "", rx.badge(t["holdout"], variant="outline")),
        rx.button("Preview", size="1", variant="soft", on_click=EngagementState.preview(t["id"]),
                  aria_label="Preview " + t["name"]),
        rx.button("Delete", size="1", variant="ghost", color_scheme="red", on_click=EngagementState.remove(t["id"]),
                  aria_label="Delete " + t["name"]),
        align="center",
        width="100%",
        padding="8px",
        data_testid="trigger-row",
    )  # fmt: skip


def editor() -> rx.Component:
    return rx.form(
        rx.vstack(
            labeled("Trigger name", rx.input(id="trigger-name", name="name", placeholder="e.g. Quiet for 3 days",
                                             width="100%"), html_for="trigger-name"),
            rx.hstack(
                labeled("When", choice("When", [(k, text) for k, text, _ in KINDS], EngagementState.kind,
                                       EngagementState.set_kind, id="trigger-kind"), html_for="trigger-kind"),
                labeled("Then", choice("Then", ACTIONS, EngagementState.action, EngagementState.set_action,
                                       id="trigger-action"), html_for="trigger-action"),
                spacing="3",
                width="100%",
            ),
            labeled("Parameters (JSON)", rx.text_area(id="trigger-params", value=EngagementState.params_text,
                                                      on_change=EngagementState.set_params_text, width="100%"),
                    html_for="trigger-params"),
            labeled("Topic or message", rx.input(id="trigger-text", name="text", width="100%"),
                    html_for="trigger-text", hint="A nudge's topic, or the message ({{name}}: the member's name)."),
            labeled("Holdout percent", rx.input(id="trigger-holdout", name="holdout", type="number", min=0, max=100,
                                                default_value="0", width="200px"),
                    html_for="trigger-holdout", hint="Members kept out of this trigger to measure its effect."),
            rx.button("Save trigger", type="submit"),
            spacing="3",
            width="100%",
        ),
        on_submit=EngagementState.create,
        reset_on_submit=True,
        width="100%",
    )  # fmt: skip


def decision_row(d: ObjectVar[dict[str, str]]) -> rx.Component:
    return rx.table.row(
        rx.table.cell(d["at"]),
        rx.table.cell(d["trigger"]),
        rx.table.cell(d["member"]),
        rx.table.cell(rx.badge(d["outcome"])),
        rx.table.cell(d["reason"]),
        data_testid="decision-row",
    )


def engagement_page() -> rx.Component:
    return layout(
        error_callout(EngagementState.error),
        notice_callout(EngagementState.notice),
        page_body(
            EngagementState.loaded,
            rx.vstack(
                card(section_title("New trigger", "plus"), editor()),
                card(
                    section_title("Triggers", "bell-ring"),
                    rx.cond(
                        EngagementState.rows.length() == 0,
                        empty_state("bell-ring", "No triggers yet",
                                    "A trigger reaches out when a member goes quiet, misses check-ins or a streak."),
                        rx.vstack(rx.foreach(EngagementState.rows, row), spacing="1", width="100%"),
                    ),
                    rx.cond(
                        EngagementState.preview_of != "",
                        rx.callout(
                            rx.vstack(
                                rx.text("Preview of ", EngagementState.preview_of, ": ", EngagementState.would_send),
                                rx.foreach(EngagementState.suppressed, lambda s: rx.text(s, size="2")),
                                spacing="1",
                            ),
                            icon="eye",
                            role="status",
                            data_testid="preview",
                        ),
                    ),
                ),
                card(
                    rx.hstack(section_title("Decision log", "scroll-text"), rx.spacer(),
                              choice("Outcome", [(o, o) for o in OUTCOMES], EngagementState.outcome,
                                     EngagementState.set_outcome), width="100%", align="center"),
                    rx.cond(
                        EngagementState.decisions.length() == 0,
                        rx.text("No decisions yet.", size="2", color_scheme="gray"),
                        rx.table.root(
                            rx.table.header(rx.table.row(*[rx.table.column_header_cell(h) for h in
                                                           ("When", "Trigger", "Member", "Outcome", "Why")])),
                            rx.table.body(rx.foreach(EngagementState.decisions, decision_row)),
                            width="100%",
                        ),
                    ),
                ),
                spacing="4",
                width="100%",
            ),
        ),
        title="Engagement",
        subtitle="Reach out when members go quiet, at a decent hour and never too often.",
    )  # fmt: skip
