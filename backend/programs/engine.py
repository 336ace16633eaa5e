"""The program interpreter: pure functions from (graph, state, event, clock) to the effects of one step.

No I/O here. The runtime applies the effects inside one database transaction; the simulator applies them
to an in-memory transcript with a fast-forward clock. Both therefore walk a program identically.

State: `EngineState` (backend/programs/state.py), a JSON dict kept on the enrollment.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from backend.programs.graph import ELSE, TIMEOUT, Graph
from backend.programs.state import EngineState
from common.enums import ProgramEventType, StepOutcome, TimerKind, WaitingFor

PATH_KEEP = 500
MAX_VISITS_PER_STEP = 500
_VAR = re.compile(r"\{\{\s*([A-Za-z_][\w.]*)\s*\}\}")


@dataclass(frozen=True)
class TimerSpec:
    node: str
    kind: TimerKind
    due_at: datetime


@dataclass(frozen=True)
class Event:
    type: ProgramEventType
    node: str | None = None
    value: Any = None
    name: str | None = None  # behaviour event name
    kind: TimerKind | None = None  # timer kind


@dataclass(frozen=True)
class Context:
    now: datetime
    member: dict[str, Any]  # display_name, external_id, timezone


@dataclass
class Outcome:
    state: EngineState
    status: StepOutcome = StepOutcome.applied  # applied | stale | invalid | error
    detail: str = ""
    messages: list[tuple[str, str]] = field(default_factory=list)  # (node id, text)
    timer: TimerSpec | None = None
    cancel_timer: bool = False
    goals: list[tuple[str, str, int]] = field(default_factory=list)  # (node id, name, occurrence)
    visited: list[str] = field(default_factory=list)
    completed: bool = False


# ---- time ---------------------------------------------------------------------------------------------


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except Exception:  # unknown zones fall back to UTC rather than stopping a member's program
        return ZoneInfo("UTC")


def next_time_of_day(now: datetime, hhmm: str, tz: str) -> datetime:
    """The first instant strictly after `now` when the member's wall clock reads `hhmm`.

    zoneinfo resolves the DST edges: a time inside the spring-forward gap (e.g. 01:30 in London on the
    last Sunday of March) lands at the same instant as the wall-clock time one gap later (02:30 BST); an
    ambiguous autumn time takes its first occurrence (fold=0).
    """
    z = zone(tz)
    hour, minute = (int(p) for p in hhmm.split(":"))
    local_day = now.astimezone(z).date()
    for offset in range(3):
        candidate = datetime.combine(local_day + timedelta(days=offset), time(hour, minute), tzinfo=z).astimezone(UTC)
        if candidate > now:
            return candidate
    raise AssertionError("unreachable: a time of day recurs within 3 days")


def program_day(enrolled_at: datetime, now: datetime, tz: str) -> int:
    """1 on the member's local enrollment date, 2 the next local day, and so on."""
    z = zone(tz)
    return (now.astimezone(z).date() - enrolled_at.astimezone(z).date()).days + 1


# ---- values -------------------------------------------------------------------------------------------


def _num(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.strip())
        except ValueError:
            return None
    return None


def opener(topic: str) -> str:
    """The twin exchange's first line when the creator wrote none: the topic itself when it is a question."""
    topic = topic.strip()
    if topic.endswith("?"):
        return topic
    return f"Let's talk about {topic.rstrip('.')}. What is on your mind?"


def coerce_answer(node_data: dict[str, Any], value: Any) -> tuple[Any, str | None]:
    """The stored form of an answer to a check-in, or an error message."""
    kind = node_data.get("kind")
    if kind == "scale":
        n = _num(value)
        lo, hi = node_data.get("min", 1), node_data.get("max", 5)
        if n is None or not lo <= n <= hi:
            return None, f"a number from {lo} to {hi} is expected"
        return (int(n) if n.is_integer() else n), None
    if kind == "number":
        n = _num(value)
        if n is None:
            return None, "a number is expected"
        return (int(n) if n.is_integer() else n), None
    if kind == "yes_no":
        if isinstance(value, bool):
            return value, None
        text = str(value).strip().lower() if isinstance(value, str) else ""
        if text in ("yes", "y", "true", "1"):
            return True, None
        if text in ("no", "n", "false", "0"):
            return False, None
        return None, "yes or no is expected"
    if not isinstance(value, str) or not value.strip():
        return None, "a non-empty text answer is expected"
    return value.strip()[:4000], None


def _eq(a: Any, b: Any) -> bool:
    na, nb = _num(a), _num(b)
    if na is not None and nb is not None and not isinstance(a, bool) and not isinstance(b, bool):
        return na == nb
    if isinstance(a, str) and isinstance(b, str):
        return a.strip().lower() == b.strip().lower()
    if isinstance(a, bool) or isinstance(b, bool):
        return coerce_answer({"kind": "yes_no"}, a)[0] == coerce_answer({"kind": "yes_no"}, b)[0] and a is not None
    return bool(a == b)


def compare(op: str, value: Any, target: Any) -> bool:
    if op == "exists":
        return value is not None
    if op == "missing":
        return value is None
    if value is None:
        return False
    if op == "eq":
        return _eq(value, target)
    if op == "ne":
        return not _eq(value, target)
    if op == "in":
        return isinstance(target, list) and any(_eq(value, t) for t in target)
    if op == "contains":
        return isinstance(value, str) and str(target).lower() in value.lower()
    a, b = _num(value), _num(target)
    if a is None or b is None:
        return False
    return {"gt": a > b, "gte": a >= b, "lt": a < b, "lte": a <= b}.get(op, False)


# ---- the interpreter ------------------------------------------------------------------------------------


def _last_value(state: EngineState) -> Any:
    last = state.get("last_answer")
    return last["value"] if last else None


class Engine:
    def __init__(self, graph: Graph) -> None:
        self.graph = graph

    # variables and attributes

    def attribute(self, name: str, state: EngineState, ctx: Context) -> Any:
        m = ctx.member
        tz = m.get("timezone") or "UTC"
        local = ctx.now.astimezone(zone(tz))
        head, _, rest = name.partition(".")
        simple: dict[str, Any] = {
            "name": (m.get("display_name") or "").strip() or "there",
            "display_name": m.get("display_name") or "",
            "first_name": ((m.get("display_name") or "").split() or ["there"])[0],
            "external_id": m.get("external_id") or "",
            "timezone": tz,
            "day": program_day(datetime.fromisoformat(state["enrolled_at"]), ctx.now, tz),
            "weekday": local.strftime("%A").lower(),
            "local_hour": local.hour,
            "last_answer": _last_value(state),
        }
        if not rest:
            return simple.get(name)
        if head == "answer":
            return state["answers"].get(rest)
        counts = {"streak": state["streaks"], "visits": state["visits"], "events": state["events"]}.get(head)
        return None if counts is None else counts.get(rest, 0)

    def render(self, text: str, state: EngineState, ctx: Context) -> str:
        def sub(match: re.Match[str]) -> str:
            value = self.attribute(match.group(1), state, ctx)
            if isinstance(value, bool):
                return "yes" if value else "no"
            return "" if value is None else str(value)

        return _VAR.sub(sub, text)

    # entry points

    def start(self, state: EngineState, ctx: Context) -> Outcome:
        out = Outcome(state=copy.deepcopy(state))
        start = self.graph.start
        if start is None:
            return self._error(out, "the program has no single start node")
        self._run(out, start, ctx)
        return out

    def handle(self, state: EngineState, event: Event, ctx: Context) -> Outcome:
        out = Outcome(state=copy.deepcopy(state))
        s = out.state
        node_id = s.get("node")
        node = self.graph.nodes.get(node_id) if node_id else None
        if event.type == ProgramEventType.event:
            name = (event.name or "").strip()
            if not name:
                out.status, out.detail = StepOutcome.invalid, "a behaviour event needs a name"
                return out
            s["events"][name] = s["events"].get(name, 0) + 1
            waiting_here = node is not None and s.get("waiting") == WaitingFor.timer and node.type == "wait"
            if waiting_here and node is not None and node.data.get("or_event") == name:
                out.cancel_timer = True
                s["timer"] = None
                self._follow(out, node.id, "", ctx)
                return out
            out.detail = f"recorded event {name!r}"
            return out
        if node is None or s.get("waiting") is None:
            return self._stale(out, event, "the enrollment is not waiting for anything")
        if event.type == ProgramEventType.answer:
            if s["waiting"] != WaitingFor.answer or (event.node is not None and event.node != node.id):
                return self._stale(out, event, f"the member is at {node.id}")
            value, error = coerce_answer(node.data, event.value)
            if error:
                out.status, out.detail = StepOutcome.invalid, f"answer to {node.id}: {error}"
                return out
            s["answers"][node.id] = value
            s["last_answer"] = {"node": node.id, "value": value}
            s["streaks"][node.id] = s["streaks"].get(node.id, 0) + 1
            out.cancel_timer = s.get("timer") is not None
            s["timer"] = None
            self._follow(out, node.id, "", ctx)
            return out
        if event.type == ProgramEventType.message:
            if s["waiting"] != WaitingFor.twin or (event.node is not None and event.node != node.id):
                return self._stale(out, event, f"the member is at {node.id}, not in a twin exchange")
            s["turns"] = s.get("turns", 0) + 1
            if s["turns"] >= int(node.data.get("max_turns", 1)):
                out.cancel_timer = s.get("timer") is not None
                s["timer"] = None
                self._follow(out, node.id, "", ctx)
            else:
                out.detail = f"turn {s['turns']} of {node.data.get('max_turns')}"
            return out
        if event.type == ProgramEventType.timer:
            expected = s.get("timer")
            if (
                expected is None
                or expected["node"] != event.node
                or expected["kind"] != event.kind
                or event.node != node.id
            ):
                return self._stale(out, event, f"no {event.kind} timer pending at {event.node}")
            s["timer"] = None
            if event.kind == TimerKind.wait:
                self._follow(out, node.id, "", ctx)
                return out
            # a window closed without an answer (check-in) or with fewer turns (twin)
            if node.type == "checkin":
                s["streaks"][node.id] = 0
                s["last_answer"] = {"node": node.id, "value": None, "missed": True}
            branch = TIMEOUT if self.graph.next_of(node.id, TIMEOUT) else ""
            self._follow(out, node.id, branch, ctx)
            return out
        out.status, out.detail = StepOutcome.invalid, f"unknown event type {event.type!r}"
        return out

    # internals

    def _stale(self, out: Outcome, event: Event, why: str) -> Outcome:
        out.status = StepOutcome.stale
        out.detail = f"ignored {event.type}" + (f" for {event.node}" if event.node else "") + f": {why}"
        return out

    def _error(self, out: Outcome, why: str) -> Outcome:
        out.status, out.detail = StepOutcome.error, why
        return out

    def _follow(self, out: Outcome, node_id: str, branch: str, ctx: Context) -> None:
        target = self.graph.next_of(node_id, branch)
        if target is None:
            self._error(out, f"node {node_id} has no {branch or 'next'} edge")
            return
        self._run(out, target, ctx)

    def _run(self, out: Outcome, node_id: str, ctx: Context) -> None:
        s = out.state
        s["waiting"] = None
        for _ in range(MAX_VISITS_PER_STEP):
            node = self.graph.nodes.get(node_id)
            if node is None:
                self._error(out, f"edge to missing node {node_id}")
                return
            s["node"] = node.id
            s["visits"][node.id] = s["visits"].get(node.id, 0) + 1
            s["path"] = [*s["path"], node.id][-PATH_KEEP:]
            out.visited.append(node.id)
            d, branch = node.data, ""
            if node.type == "message":
                variants = [v for v in d.get("variants") or [] if isinstance(v, str) and v.strip()]
                text = variants[(s["visits"][node.id] - 1) % len(variants)] if variants else d.get("text", "")
                if variants and d.get("text"):
                    text = f"{d['text']}\n\n{text}"
                out.messages.append((node.id, self.render(text, s, ctx)))
            elif node.type == "checkin":
                out.messages.append((node.id, self.render(self._question(d), s, ctx)))
                s["waiting"] = WaitingFor.answer
                if d.get("window_minutes"):
                    self._timer(out, node.id, TimerKind.window, ctx.now + timedelta(minutes=float(d["window_minutes"])))
                return
            elif node.type == "wait":
                if d.get("until"):
                    due = next_time_of_day(ctx.now, d["until"], ctx.member.get("timezone") or "UTC")
                else:
                    due = ctx.now + timedelta(minutes=float(d["duration_minutes"]))
                s["waiting"] = WaitingFor.timer
                self._timer(out, node.id, TimerKind.wait, due)
                return
            elif node.type == "condition":
                branch = self._branch(node.id, d, s, ctx)
            elif node.type == "goal":
                self._goal(out, node.id, d, ctx)
            elif node.type == "twin":
                topic = d.get("topic", "")
                prompt = d.get("prompt") or opener(str(topic))
                out.messages.append((node.id, self.render(prompt, s, ctx)))
                s["waiting"], s["turns"] = WaitingFor.twin, 0
                if d.get("window_minutes"):
                    self._timer(out, node.id, TimerKind.window, ctx.now + timedelta(minutes=float(d["window_minutes"])))
                return
            elif node.type == "end":
                out.completed = True
                s["waiting"] = None
                return
            elif node.type != "start":
                self._error(out, f"node {node.id} has unknown type {node.type!r}")
                return
            target = self.graph.next_of(node.id, branch)
            if target is None:
                self._error(out, f"node {node.id} has no {branch or 'next'} edge")
                return
            node_id = target
        self._error(out, f"more than {MAX_VISITS_PER_STEP} nodes in one step (a loop without a wait?)")

    def _timer(self, out: Outcome, node_id: str, kind: TimerKind, due: datetime) -> None:
        out.timer = TimerSpec(node_id, kind, due)
        out.state["timer"] = {"node": node_id, "kind": kind, "due_at": due.isoformat()}

    @staticmethod
    def _question(d: dict[str, Any]) -> str:
        q = d.get("question", "")
        kind = d.get("kind")
        if kind == "scale":
            return f"{q} ({d.get('min', 1)}-{d.get('max', 5)})"
        if kind == "yes_no":
            return f"{q} (yes/no)"
        return str(q)

    def _branch(self, node_id: str, d: dict[str, Any], s: EngineState, ctx: Context) -> str:
        source = d.get("source")
        if source == "answer":
            ref = d.get("node")
            value = s["answers"].get(ref) if ref else _last_value(s)
        elif source == "attribute":
            value = self.attribute(str(d.get("attribute")), s, ctx)
        else:
            value = s["events"].get(str(d.get("event")), 0)
        for rule in d.get("rules") or []:
            if compare(rule.get("op"), value, rule.get("value")):
                return str(rule["label"]).strip()
        return ELSE

    def _goal(self, out: Outcome, node_id: str, d: dict[str, Any], ctx: Context) -> None:
        s = out.state
        done = s["goals"].get(node_id, 0)
        streak_of = d.get("streak_of")
        if streak_of is not None and (done or s["streaks"].get(streak_of, 0) < int(d.get("target", 1))):
            return
        s["goals"][node_id] = done + 1
        out.goals.append((node_id, str(d.get("name")), done + 1))
        if d.get("message"):
            out.messages.append((node_id, self.render(str(d["message"]), s, ctx)))
