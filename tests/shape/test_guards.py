"""The shape every feature follows (README, "Conventions"), checked so it does not erode."""

from __future__ import annotations

import ast
import importlib
import inspect
from pathlib import Path

import msgspec

ROOT = Path(__file__).resolve().parents[2]
SQL_PACKAGES = {"sqlalchemy", "sqlmodel"}


def _sources(*folders: str) -> list[Path]:
    return sorted(p for folder in folders for p in (ROOT / folder).rglob("*.py"))


def _rel(path: Path) -> str:
    return str(path.relative_to(ROOT))


def test_no_registry_of_any() -> None:
    """Feature services are typed fields of `Services` (backend/features.py), not `extras[...]` lookups."""
    offenders = [
        f"{_rel(p)}:{n}"
        for p in _sources("backend", "common", "tests")
        for n, line in enumerate(p.read_text().splitlines(), 1)
        if "extras[" in line and p != Path(__file__).resolve()
    ]
    assert not offenders, "use platform.services.<name> instead of an extras registry: " + ", ".join(offenders)


def _query_building(tree: ast.AST) -> list[str]:
    """What in a module builds SQL: imports from SQLAlchemy/SQLModel, and calls of what they bring
    (`select(...)`, `insert(...)`, `update(...)`, `text(...)`; Litestar's `@delete` route decorator is not SQL)."""
    found, builders = [], set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] in SQL_PACKAGES:
            found.append(f"line {node.lineno}: from {node.module} import ...")
            builders |= {a.asname or a.name for a in node.names}
        elif isinstance(node, ast.Import) and any(a.name.split(".")[0] in SQL_PACKAGES for a in node.names):
            found.append(f"line {node.lineno}: import {', '.join(a.name for a in node.names)}")
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in builders:
            found.append(f"line {node.lineno}: {node.func.id}(...)")
    return found


def test_controllers_translate_http_only() -> None:
    """Queries live in a feature's service.py or repository.py; controllers call them."""
    offenders = {
        _rel(p): hits
        for p in _sources("backend")
        if p.name == "controllers.py" and (hits := _query_building(ast.parse(p.read_text())))
    }
    assert not offenders, f"controllers that build queries (move them to service.py/repository.py): {offenders}"


def test_the_guard_sees_a_query() -> None:
    tree = ast.parse("from sqlalchemy import select\nasync def f(db):\n    return await db.execute(select(X))\n")
    assert len(_query_building(tree)) == 2
    assert _query_building(ast.parse("def f(d):\n    d.update(ok=False)\n")) == []  # a dict's update is not SQL
    assert _query_building(ast.parse("from litestar import delete\n@delete('/x')\nasync def f(): ...\n")) == []


def test_api_structs_are_built_with_keyword_arguments() -> None:
    """Every msgspec Struct in a feature's schemas.py is keyword-only: a swapped pair cannot pass silently."""
    offenders = []
    for path in _sources("backend"):
        if path.name != "schemas.py":
            continue
        module = importlib.import_module(".".join(path.relative_to(ROOT).with_suffix("").parts))
        for name, obj in vars(module).items():
            ours = inspect.isclass(obj) and issubclass(obj, msgspec.Struct) and obj.__module__ == module.__name__
            if ours and obj.__match_args__:  # positional fields are listed here; keyword-only ones are not
                offenders.append(f"{module.__name__}.{name}")
    assert not offenders, "declare these with msgspec.Struct, kw_only=True: " + ", ".join(offenders)
