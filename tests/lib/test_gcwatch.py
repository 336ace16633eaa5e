"""The collector's pauses are measured and long ones logged; the model's objects are out of its reach."""

from __future__ import annotations

import gc
from typing import Any

import pytest

from backend.lib.gcwatch import GcWatch


def test_long_pauses_are_logged_and_the_watch_can_be_removed() -> None:
    pauses: list[dict[str, Any]] = []
    watch = GcWatch(threshold_ms=0.0, report=lambda **fields: pauses.append(fields)).install()
    try:
        gc.collect()
    finally:
        watch.remove()
    assert watch.longest_ms > 0
    pause = pauses[-1]
    assert pause["generation"] == 2 and pause["ms"] >= 0
    assert watch not in gc.callbacks
    watch.install().install()
    assert gc.callbacks.count(watch) == 1
    watch.remove()


@pytest.mark.slow
def test_loading_the_model_freezes_its_objects() -> None:
    from backend.lib.embeddings import Embedder

    model = Embedder()._load()
    gc.collect()
    # Frozen objects sit in the permanent generation, which no collection (and no generation list) holds.
    tracked = {id(o) for o in gc.get_objects()}
    assert id(model) not in tracked and id(model[0].auto_model) not in tracked
