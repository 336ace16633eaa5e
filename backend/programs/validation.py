"""Checking a program graph before it is published: problems that stop a publish (`validate`) and warnings
(`runaway_loops`: loops a member who never answers would travel for ever), in people's words with the steps'
titles (`step_title`), each naming the steps to fix so the builder can mark them on the canvas."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from backend.programs.graph import (
    CHECKIN_KINDS,
    CONDITION_SOURCES,
    ELSE,
    NODE_TYPES,
    OPS,
    TIME_OF_DAY,
    TIMEOUT,
    Edge,
    Graph,
    Issue,
    Node,
    is_number,
    is_text,
    parse,
)

KIND_NAMES = {
    "start": "start", "message": "message", "checkin": "check-in", "wait": "wait", "condition": "condition",
    "goal": "milestone", "twin": "twin chat", "end": "end",
}  # fmt: skip
TITLE_MAX = 40


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= TITLE_MAX else text[: TITLE_MAX - 1].rsplit(" ", 1)[0] + "…"


SAYS = {"message": "text", "checkin": "question", "goal": "name", "twin": "topic"}


def step_title(node: Node) -> str:
    """What people call a step: the title given in the builder, else what it says or does."""
    d = node.data
    if is_text(d.get("title")):
        return _short(str(d["title"]))
    if node.type in ("start", "end"):
        return node.type.capitalize()
    key = SAYS.get(node.type)
    if key and is_text(d.get(key)):
        return _short(str(d[key]))
    variants = d.get("variants")
    if node.type == "message" and isinstance(variants, list) and variants and is_text(variants[0]):
        return _short(str(variants[0]))
    if node.type == "wait" and is_text(d.get("until")):
        return f"Wait until {d['until']}"
    if node.type == "wait" and is_number(d.get("duration_minutes")):
        return f"Wait {_duration(float(d['duration_minutes']))}"
    if node.type == "condition":
        on = d.get("node") if d.get("source") == "answer" else d.get(str(d.get("source")))
        if is_text(on):
            return f"Branch on {on}"
    return node.id


def _duration(minutes: float) -> str:
    for size, unit in ((1440, "day"), (60, "hour")):
        if minutes >= size and minutes % size == 0:
            n = int(minutes // size)
            return f"{n} {unit}{'s' if n != 1 else ''}"
    n = int(minutes)
    return f"{n} minute{'s' if n != 1 else ''}"


def describe(node: Node) -> str:
    """`Step 'Evening chat' (twin chat)`: how a problem names a step."""
    return f"Step '{step_title(node)}' ({KIND_NAMES.get(node.type, node.type or 'no type')})"


def _named(graph: Graph, ids: list[str]) -> str:
    """Steps by title, in id order; a title two of them share gets the step's id beside it."""
    titles = {i: step_title(graph.nodes[i]) if i in graph.nodes else i for i in ids}
    shared = {t for t in titles.values() if list(titles.values()).count(t) > 1}
    return ", ".join(f"'{t}' ({i})" if t in shared else f"'{t}'" for i, t in sorted(titles.items()))


def _text(data: dict[str, Any], key: str) -> bool:
    return isinstance(data.get(key), str) and bool(data[key].strip())


def _fields(node: Node) -> list[str]:
    """Missing or wrong required fields of one node, as short phrases."""
    d, problems = node.data, []
    if node.type == "message":
        variants = d.get("variants")
        if not _text(d, "text") and not (isinstance(variants, list) and variants and all(is_text(v) for v in variants)):
            problems.append("write the message")
    elif node.type == "checkin":
        if not _text(d, "question"):
            problems.append("write the question")
        if d.get("kind") not in CHECKIN_KINDS:
            problems.append(f"choose the answer type ({', '.join(CHECKIN_KINDS)})")
        if d.get("kind") == "scale":
            lo, hi = d.get("min", 1), d.get("max", 5)
            if not (is_number(lo) and is_number(hi) and lo < hi):
                problems.append("a scale needs a lowest number below its highest (min < max)")
        if "window_minutes" in d and d["window_minutes"] is not None and not _positive(d["window_minutes"]):
            problems.append("the answer window must be a positive number of minutes")
    elif node.type == "wait":
        has_duration = d.get("duration_minutes") is not None
        has_until = d.get("until") is not None
        if has_duration == has_until:
            problems.append("wait either for a duration or until a time of day, not both or neither")
        elif has_duration and not _positive(d["duration_minutes"]):
            problems.append("the duration must be a positive number of minutes")
        elif has_until and not (isinstance(d["until"], str) and TIME_OF_DAY.match(d["until"])):
            problems.append("the time of day must read HH:MM (24 hours), e.g. 07:00")
    elif node.type == "condition":
        source = d.get("source")
        if source not in CONDITION_SOURCES:
            problems.append(f"choose what to branch on ({', '.join(CONDITION_SOURCES)})")
        if source == "attribute" and not _text(d, "attribute"):
            problems.append("name the member attribute to branch on")
        if source == "event" and not _text(d, "event"):
            problems.append("name the behaviour event to branch on")
        rules = d.get("rules")
        if not isinstance(rules, list) or not rules:
            problems.append("add at least one rule")
        else:
            for j, r in enumerate(rules, 1):
                if not isinstance(r, dict) or not _text(r, "label") or r.get("op") not in OPS:
                    problems.append(f"rule {j} needs an exit name and a comparison")
                elif r["label"].strip() == ELSE:
                    problems.append(f"rule {j} cannot be called 'else': that name is the exit for everything else")
    elif node.type == "goal":
        if not _text(d, "name"):
            problems.append("name the milestone")
        if d.get("streak_of") is not None and not (isinstance(d.get("target"), int) and d["target"] >= 1):
            problems.append("a streak milestone needs a whole-number length of at least 1")
    elif node.type == "twin":
        if not _text(d, "topic"):
            problems.append("write the topic")
        turns = d.get("max_turns")
        if not (isinstance(turns, int) and not isinstance(turns, bool) and 1 <= turns <= 50):
            problems.append("the member turns must be a whole number from 1 to 50")
        if "window_minutes" in d and d["window_minutes"] is not None and not _positive(d["window_minutes"]):
            problems.append("the answer window must be a positive number of minutes")
    return problems


def _positive(value: Any) -> bool:
    return is_number(value) and 0 < value <= 366 * 24 * 60


def _ids(items: list[str]) -> str:
    return ", ".join(sorted(items))


def _cycles_without_wait(graph: Graph) -> list[list[str]]:
    """The loops of the graph minus its wait nodes."""
    keep = {nid for nid, n in graph.nodes.items() if n.type != "wait"}
    return _cycles({nid: [e.target for e in graph.out.get(nid, []) if e.target in keep] for nid in keep})


def _cycles(succ: dict[str, list[str]]) -> list[list[str]]:
    """Strongly connected components with a real cycle (Tarjan, iterative)."""
    keep = set(succ)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0
    for root in sorted(keep):
        if root in index:
            continue
        work: list[tuple[str, int]] = [(root, 0)]
        while work:
            node, i = work.pop()
            if i == 0:
                index[node] = low[node] = counter
                counter += 1
                stack.append(node)
                on_stack.add(node)
            if i < len(succ[node]):
                work.append((node, i + 1))
                nxt = succ[node][i]
                if nxt not in index:
                    work.append((nxt, 0))
                elif nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
                continue
            if low[node] == index[node]:
                comp = []
                while True:
                    w = stack.pop()
                    on_stack.discard(w)
                    comp.append(w)
                    if w == node:
                        break
                if len(comp) > 1 or node in succ[node]:
                    found.append(sorted(comp))
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
    return found


def validate(raw: dict[str, Any]) -> list[Issue]:
    """Every problem that would stop a publish, in people's words, each naming the steps (by title) to fix."""
    graph, issues = parse(raw)
    if issues and not graph.nodes:
        return issues
    nodes = graph.nodes
    unknown = [n.id for n in nodes.values() if n.type not in NODE_TYPES]
    if unknown:
        issues.append(Issue("unknown_type", f"Steps of an unknown kind: {_named(graph, unknown)} (use "
                            f"{', '.join(KIND_NAMES[t] for t in NODE_TYPES)})", unknown))  # fmt: skip
    starts = [n.id for n in nodes.values() if n.type == "start"]
    if len(starts) != 1:
        found = f"it has {len(starts)}: {_named(graph, starts)}" if starts else "it has none"
        issues.append(Issue("start_count", f"A program needs exactly one Start step; {found}", starts))
    dangling = [e for e in graph.edges if e.source not in nodes or e.target not in nodes]
    if dangling:
        detail = "; ".join(f"{e.id} ({e.source or '?'} -> {e.target or '?'})" for e in dangling)
        issues.append(Issue("dangling_edge", f"Connections to steps that no longer exist: {detail}",
                            edge_ids=[e.id for e in dangling]))  # fmt: skip
    for n in nodes.values():
        missing = _fields(n)
        if missing:
            issues.append(Issue("missing_field", f"{describe(n)}: {'; '.join(missing)}", [n.id]))
    for n in nodes.values():
        issues += _exits(graph, n)
    start = graph.start
    if start is not None:
        unreachable = sorted(set(nodes) - _reachable(graph, start))
        if unreachable:
            names = _named(graph, unreachable)
            issues.append(Issue("unreachable", f"Steps that nothing leads to from the Start: {names}. Connect them, "
                                "or delete them", unreachable))  # fmt: skip
    for cycle in _cycles_without_wait(graph):
        issues.append(Issue("loop_without_wait", f"Steps {_named(graph, cycle)} loop without a wait, so a member "
                            "would get them over and over at once: add a Wait inside the loop", cycle))  # fmt: skip
    return issues


def _reachable(graph: Graph, start: str, succ: Callable[[str], list[str]] | None = None) -> set[str]:
    reached, todo = {start}, [start]
    while todo:
        here = todo.pop()
        for target in succ(here) if succ else [e.target for e in graph.out.get(here, [])]:
            if target not in reached:
                reached.add(target)
                todo.append(target)
    return reached


def _exits(graph: Graph, n: Node) -> list[Issue]:
    """Problems with the connections leaving one step."""
    outs = graph.out.get(n.id, [])
    labels = [e.label for e in outs]
    if n.type == "end":
        if not outs:
            return []
        return [Issue("end_has_edges", f"{describe(n)} is where the program ends: it cannot lead anywhere", [n.id])]
    if n.type not in NODE_TYPES:
        return []
    if not outs:
        return [Issue("no_next", f"{describe(n)} has no next step: connect its exit to the next step, or to an End",
                      [n.id])]  # fmt: skip
    if n.type == "condition":
        return _condition_exits(n, outs, labels)
    found: list[Issue] = []
    allowed_timeout = n.type in ("checkin", "twin")
    plain = [e for e in outs if not (allowed_timeout and e.label == TIMEOUT)]
    timeouts = [e for e in outs if allowed_timeout and e.label == TIMEOUT]
    if len(plain) != 1 or len(timeouts) > 1:
        extra = " (and at most one 'timeout' exit)" if allowed_timeout else ""
        found.append(Issue("branching", f"{describe(n)} must lead to exactly one next step{extra}; it has {len(outs)}",
                           [n.id], [e.id for e in outs]))  # fmt: skip
    if timeouts and not (isinstance(n.data.get("window_minutes"), int | float) and n.data["window_minutes"]):
        found.append(Issue("timeout_without_window", f"{describe(n)} has a 'timeout' exit but no answer window: "
                           "set how many minutes the member has to answer", [n.id]))  # fmt: skip
    return found


def _condition_exits(n: Node, outs: list[Edge], labels: list[str]) -> list[Issue]:
    found: list[Issue] = []
    if labels.count(ELSE) != 1:
        found.append(Issue("condition_without_else", f"{describe(n)} needs exactly one 'else' exit, for everything "
                           "its rules do not catch", [n.id]))  # fmt: skip
    raw_rules = n.data.get("rules")
    rules: list[Any] = raw_rules if isinstance(raw_rules, list) else []
    rule_labels = {r["label"].strip() for r in rules if isinstance(r, dict) and is_text(r.get("label"))}
    stray = sorted({lb for lb in labels if lb != ELSE and lb not in rule_labels})
    if stray:
        found.append(Issue("unknown_branch", f"{describe(n)} has exits named {', '.join(map(repr, stray))} that "
                           "match no rule", [n.id], [e.id for e in outs if e.label in stray]))  # fmt: skip
    unwired = sorted(rule_labels - set(labels))
    if unwired:
        found.append(Issue("rule_without_edge", f"{describe(n)}: the exit of rule {', '.join(map(repr, unwired))} "
                           "leads nowhere: connect it", [n.id]))  # fmt: skip
    dup = sorted({lb for lb in labels if labels.count(lb) > 1 and lb != ELSE})
    if dup:
        found.append(Issue("duplicate_branch", f"{describe(n)}: two connections leave by the exit "
                           f"{', '.join(map(repr, dup))}", [n.id]))  # fmt: skip
    return found


VISIT_BOUNDS = ("gt", "gte", "eq")


def _silent_next(graph: Graph, n: Node) -> list[str]:
    """Where a member who never answers goes from step `n` (nowhere while a step waits for ever)."""
    d = n.data
    if n.type in ("checkin", "twin"):
        if not (is_number(d.get("window_minutes")) and d["window_minutes"]):
            return []  # waits for the answer for ever: stuck, but it does not run away
        target = graph.next_of(n.id, TIMEOUT) or graph.next_of(n.id, "")
        return [target] if target else []
    if n.type == "condition" and d.get("source") == "answer":
        rules: list[Any] = d["rules"] if isinstance(d.get("rules"), list) else []
        missing = [
            r["label"] for r in rules if isinstance(r, dict) and r.get("op") == "missing" and is_text(r.get("label"))
        ]
        target = graph.next_of(n.id, missing[0].strip()) if missing else graph.next_of(n.id, ELSE)
        return [target] if target else []
    return [e.target for e in graph.out.get(n.id, [])]


def _bounded(graph: Graph, loop: set[str]) -> bool:
    """Whether a condition in the loop counts its rounds (a rule on `visits.<step of the loop>`) and leads out."""
    for nid in loop:
        n = graph.nodes[nid]
        counted = str(n.data.get("attribute") or "").removeprefix("visits.")
        if n.type != "condition" or n.data.get("source") != "attribute" or counted not in loop:
            continue
        for rule in n.data.get("rules") or []:
            if isinstance(rule, dict) and rule.get("op") in VISIT_BOUNDS and is_text(rule.get("label")):
                target = graph.next_of(nid, rule["label"].strip())
                if target is not None and target not in loop:
                    return True
    return False


def runaway_loops(raw: dict[str, Any]) -> list[Issue]:
    """Warnings: loops a member who never answers would travel for ever (timeout exits leading back, no count)."""
    graph, _ = parse(raw)
    start = graph.start
    if start is None:
        return []
    succ = {nid: [t for t in _silent_next(graph, n) if t in graph.nodes] for nid, n in graph.nodes.items()}
    silent = _reachable(graph, start, lambda nid: succ.get(nid, []))
    warnings = []
    for loop in _cycles({nid: [t for t in succ[nid] if t in silent] for nid in silent}):
        if _bounded(graph, set(loop)):
            continue
        counter = next((nid for nid in loop if graph.nodes[nid].type == "message"), loop[0])
        warnings.append(Issue(
            "runaway_loop",
            f"A member who never answers would go round {_named(graph, loop)} for ever. Count the rounds: add a "
            f"condition on the member attribute visits.{counter} (e.g. at least 14) whose exit leads out of the loop",
            loop,
        ))  # fmt: skip
    return warnings
