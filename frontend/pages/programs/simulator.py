"""The builder's simulator: run the draft for a test member on a fast-forward clock with scripted answers, read
the transcript, and see the path taken light up on the canvas."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

import reflex as rx
from reflex.vars import ObjectVar

from frontend import api
from frontend.api.contracts import SimulateIn
from frontend.components import labeled
from frontend.pages.programs.builder_state import BuilderState
from frontend.state import AuthState, Redirect, event


def parse_answer(raw: str) -> Any:
    """A scripted simulator answer: numbers as numbers; `4; 5; 2` gives one answer per visit."""
    parts = [p.strip() for p in raw.split(";") if p.strip()]
    values = [float(p) if re.fullmatch(r"-?\d+(\.\d+)?", p) else p for p in parts]
    values = [int(v) if isinstance(v, float) and v.is_integer() else v for v in values]
    return values if len(values) > 1 else values[0] if values else None


def start_time(raw: str) -> datetime | None:
    """The datetime-local input's value (`2026-03-01T07:00`) as a UTC start, or None when empty."""
    text = raw.strip()
    if not text:
        return None
    return datetime.fromisoformat(text + ("" if len(text) > 16 else ":00+00:00"))


def outcome(status: str, steps: int, silent: bool) -> str:
    """What a run's status means, in a sentence."""
    who = "A member who never answers" if silent else "This member"
    return {
        "completed": f"{who} finishes the program ({steps} steps).",
        "waiting": f"{who} stops at the last step shown: it waits for an answer, with no time limit.",
        "limit": f"{who} is still getting messages after {steps} steps: the program does not end for them. "
        "Look at the warnings on the Edit tab.",
    }.get(status, "The run stopped on an error.")


class SimulatorState(AuthState):
    sim_answers: rx.Field[dict[str, str]] = rx.field(default_factory=dict)
    sim_timezone: str = "UTC"
    sim_start: str = ""
    sim_running: bool = False
    sim_status: str = ""
    sim_detail: str = ""
    sim_transcript: rx.Field[list[dict[str, str]]] = rx.field(default_factory=list)
    sim_goals: rx.Field[list[str]] = rx.field(default_factory=list)
    sim_steps: int = 0
    sim_silent: bool = False
    sim_summary: str = ""

    @event
    def reset_run(self) -> None:
        """on_load of the builder: a new program starts with no run."""
        self.sim_status, self.sim_detail, self.sim_transcript, self.sim_answers, self.sim_steps = "", "", [], {}, 0
        self.sim_summary, self.sim_silent = "", False

    @event
    def set_answer(self, node_id: str, value: str) -> None:
        self.sim_answers = {**self.sim_answers, node_id: value}

    @event
    def set_sim_timezone(self, value: str) -> None:
        self.sim_timezone = value

    @event
    def set_sim_start(self, value: str) -> None:
        self.sim_start = value

    @event
    async def simulate(self, silent: bool) -> Any:
        """Run the draft: with the scripted answers, or (`silent`) as a member who never answers anything."""
        builder = await self.get_state(BuilderState)
        builder.error = builder.notice = ""
        self.sim_running = True
        yield

        async def work() -> Redirect:
            if builder.dirty:
                await builder._save()
            answers = {} if silent else {k: parse_answer(v) for k, v in self.sim_answers.items() if v.strip()}
            body = SimulateIn(answers=answers, timezone=self.sim_timezone.strip() or "UTC",
                              start_at=start_time(self.sim_start))  # fmt: skip
            result = await self._call(api.programs.simulate, builder.program_id, body)
            self.sim_status, self.sim_detail = result.status, result.detail
            self.sim_silent = silent
            self.sim_summary = outcome(result.status, len(result.path), silent)
            builder.sim_path = list(result.path)
            self.sim_steps = len(result.path)
            self.sim_transcript = [
                {"at": t.local[:16].replace("T", " "), "role": t.role, "node": t.node_id or "", "text": t.text}
                for t in result.transcript
            ]
            self.sim_goals = [str(g.get("name") or g) for g in result.goals]
            return None

        try:
            yield await self._attempt(work, builder._show_error)
        finally:
            self.sim_running = False


S = SimulatorState
B = BuilderState


def answer_input(t: ObjectVar[dict[str, str]]) -> rx.Component:
    field_id = "sim-answer-" + t["id"].to(str)
    return rx.vstack(
        rx.el.label(t["label"], html_for=field_id, font_size="var(--font-size-1)", font_weight="500"),
        rx.input(
            id=field_id,
            value=S.sim_answers.to(dict[str, str])[t["id"]].to(str),
            on_change=lambda v: S.set_answer(t["id"].to(str), v),
            placeholder="answer (4, yes, text); 4; 5; 2 for one per visit; empty: no answer",
            width="100%",
            data_testid="sim-answer",
        ),
        spacing="1",
        width="100%",
    )


def transcript_line(line: ObjectVar[dict[str, str]]) -> rx.Component:
    return rx.box(
        rx.text(line["at"], " · ", line["role"], rx.cond(line["node"] != "", " · " + line["node"].to(str), ""),
                size="1", color_scheme="gray"),
        rx.text(line["text"], size="2", white_space="pre-wrap"),
        bg=rx.match(line["role"], ("member", rx.color("accent", 3)), ("assistant", rx.color("gray", 3)), "transparent"),
        padding="6px 8px",
        border_radius="8px",
        width="100%",
        data_testid="transcript-line",
    )  # fmt: skip


def simulate_panel() -> rx.Component:
    return rx.vstack(
        rx.text("Run the draft for a test member on a fast-forward clock. Scripted answers are given when a "
                "check-in asks; the path taken lights up on the canvas.", size="2", color_scheme="gray"),
        rx.foreach(B.sim_targets, answer_input),
        rx.hstack(
            labeled("Member time zone", rx.input(id="sim-timezone", value=S.sim_timezone,
                                                 on_change=S.set_sim_timezone, width="100%",
                                                 data_testid="sim-timezone"), html_for="sim-timezone"),
            labeled("Start (UTC, optional)", rx.input(id="sim-start", type="datetime-local", value=S.sim_start,
                                                      on_change=S.set_sim_start, width="100%"), html_for="sim-start"),
            width="100%",
            wrap="wrap",
        ),
        rx.button(rx.icon("play", size=14), "Run simulation", on_click=S.simulate(False), loading=S.sim_running,
                  width="100%", data_testid="simulate-run"),
        rx.button(rx.icon("volume-x", size=14), "Try a member who never answers", on_click=S.simulate(True),
                  loading=S.sim_running, variant="soft", width="100%", data_testid="simulate-silent"),
        rx.cond(
            S.sim_status != "",
            rx.vstack(
                rx.hstack(
                    rx.badge(S.sim_status, color_scheme=rx.match(S.sim_status, ("completed", "green"), ("error", "red"),
                                                                 "amber"), data_testid="sim-status"),
                    rx.text(S.sim_steps, " steps", size="1", color=rx.color("gray", 11)),
                    align="center",
                ),
                rx.text(S.sim_summary, size="2", data_testid="sim-summary"),
                rx.cond(S.sim_detail != "", rx.text(S.sim_detail, size="1", color=rx.color("gray", 11))),
                rx.cond(S.sim_goals.length() > 0,
                        rx.text("Milestones: ", rx.foreach(S.sim_goals, lambda g: rx.badge(g, margin_right="4px")),
                                size="1")),
                rx.foreach(S.sim_transcript, transcript_line),
                spacing="2",
                width="100%",
                data_testid="transcript",
            ),
        ),
        spacing="3",
        width="100%",
    )  # fmt: skip
