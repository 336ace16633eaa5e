"""The shape every feature follows (README, "Conventions"), checked so it does not erode."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _sources(*folders: str) -> list[Path]:
    return sorted(p for folder in folders for p in (ROOT / folder).rglob("*.py"))


def test_no_registry_of_any() -> None:
    """Feature services are typed fields of `Services` (backend/features.py), not `extras[...]` lookups."""
    offenders = [
        f"{p.relative_to(ROOT)}:{n}"
        for p in _sources("backend", "common", "tests")
        for n, line in enumerate(p.read_text().splitlines(), 1)
        if "extras[" in line and p != Path(__file__).resolve()
    ]
    assert not offenders, "use platform.services.<name> instead of an extras registry: " + ", ".join(offenders)
