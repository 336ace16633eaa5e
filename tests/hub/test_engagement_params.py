"""The Engagement editor's per-kind fields map to the API's `params` and back, for every trigger kind."""

from __future__ import annotations

import pytest

from common.enums import TriggerKind
from frontend.pages.engagement.params import FIELDS, defaults, to_params, to_texts


@pytest.mark.parametrize(
    ("kind", "saved"),
    [
        ("inactivity", {"days": 3}),
        ("missed_checkin", {"count": 2}),
        ("streak_broken", {"event": "habit_done", "grace_days": 1}),
        ("milestone", {"goal": "first 5k"}),
        ("milestone", {"event": "habit_done", "count": 10}),
        ("event", {"name": "run_logged", "where": {"distance_km": 10}}),
        ("risk", {}),
    ],
)
def test_a_saved_trigger_round_trips_through_its_fields(kind: str, saved: dict[str, object]) -> None:
    assert to_params(kind, to_texts(kind, saved), {}) == saved


def test_every_kind_has_fields_and_defaults_the_api_takes() -> None:
    assert set(FIELDS) == {k.value for k in TriggerKind}
    assert to_params("inactivity", defaults("inactivity"), {}) == {"days": 3}
    assert to_params("milestone", defaults("milestone"), {}) == {"event": "habit_done", "count": 10}


def test_unread_input_is_named_and_unshown_keys_are_kept() -> None:
    with pytest.raises(ValueError, match="Days without activity: a whole number"):
        to_params("inactivity", {"days": "three"}, {})
    with pytest.raises(ValueError, match="Property conditions"):
        to_params("event", {"name": "x", "where": "{not json"}, {})
    program = {"program_id": "6f1c0c52-9d1e-4f57-9c2e-3f1a2b3c4d5e"}
    assert to_params("missed_checkin", {"count": "4"}, program) == {"count": 4, **program}
    assert to_params("streak_broken", {"event": "walk", "grace_days": ""}, {}) == {"event": "walk"}
