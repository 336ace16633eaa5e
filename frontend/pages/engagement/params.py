"""Each trigger kind's parameters as labelled fields (the API's `params` object, one field each), and the two
ways between them: a saved trigger's params into field texts, and field texts back into params."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from common.enums import TriggerKind


@dataclass(frozen=True)
class Field:
    key: str  # the key in `params`
    label: str
    number: bool = False
    default: str = ""
    hint: str = ""


FIELDS: dict[str, list[Field]] = {
    TriggerKind.inactivity.value: [Field("days", "Days without activity", True, "3")],
    TriggerKind.missed_checkin.value: [Field("count", "Check-ins missed in a row", True, "2")],
    TriggerKind.streak_broken.value: [
        Field("event", "Daily event", default="habit_done", hint="The event a member reports each day."),
        Field("grace_days", "Grace days", True, "1", "Missed days forgiven before the streak counts as broken."),
    ],
    TriggerKind.milestone.value: [
        Field("goal", "Goal", hint="A goal's name; leave empty to count an event instead."),
        Field("event", "Event to count", default="habit_done"),
        Field("count", "Times reached", True, "10"),
    ],
    TriggerKind.event.value: [
        Field("name", "Event name", default="run_logged"),
        Field("where", "Property conditions (JSON)", default="{}", hint='Optional, e.g. {"distance_km": 10}.'),
    ],
    TriggerKind.risk.value: [],
}


def field_id(kind: str, key: str) -> str:
    return f"param-{kind}-{key}"


def defaults(kind: str) -> dict[str, str]:
    return {f.key: f.default for f in FIELDS.get(kind, [])}


def to_texts(kind: str, params: dict[str, Any]) -> dict[str, str]:
    """A saved trigger's params as the texts its fields show."""
    texts = {f.key: "" for f in FIELDS.get(kind, [])}
    for key, value in params.items():
        if key in texts:
            texts[key] = json.dumps(value) if isinstance(value, dict) else str(value)
    return texts


def to_params(kind: str, texts: dict[str, str], keep: dict[str, Any]) -> dict[str, Any]:
    """The fields' texts as `params` (numbers as numbers; empty fields left out so the API's defaults and
    messages apply). `keep` carries saved keys the hub has no field for (a check-in trigger's program).
    Raises ValueError with a message for people when a number or the JSON does not read."""
    out: dict[str, Any] = dict(keep)
    for f in FIELDS.get(kind, []):
        text = texts.get(f.key, "").strip()
        if not text:
            continue
        if f.number:
            try:
                out[f.key] = int(text)
            except ValueError:
                raise ValueError(f"{f.label}: a whole number.") from None
        elif f.key == "where":
            try:
                out[f.key] = json.loads(text)
            except json.JSONDecodeError:
                raise ValueError(f'{f.label}: write them as JSON, e.g. {{"distance_km": 10}}.') from None
        else:
            out[f.key] = text
    if kind == TriggerKind.milestone.value and "goal" in out:
        out.pop("event", None)  # a goal milestone has no event count
        out.pop("count", None)
    return out
