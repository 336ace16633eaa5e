"""The SQLModel tables (common/models) and the database the Alembic migrations build must agree: tables,
columns, types, nullability, indexes, unique constraints and foreign keys. Alembic's own autogenerate
comparison reads the migrated test database; the message names each difference and which side has it.

When it fails after adding a table or a column: fix the model or the migration (whichever is wrong) until
they agree; `alembic revision --autogenerate` against a migrated database prints the same differences.
"""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Column, Index, MetaData, String
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine
from sqlmodel import SQLModel

import common.models  # noqa: F401 - registers every table on SQLModel.metadata
from backend.lib.db import async_url
from tests.conftest import ADMIN_URL

IN_MODELS, IN_DB = "in the models only (no migration creates it)", "in the migrated database only (no model has it)"


def _cols(index: Any) -> str:
    return ", ".join(c.name for c in index.columns) or str(index.expressions)


def describe(diff: Any) -> str:
    """One autogenerate difference, in words."""
    kind = diff[0]
    if kind in ("add_table", "remove_table"):
        return f"table {diff[1].name}: {IN_MODELS if kind == 'add_table' else IN_DB}"
    if kind in ("add_column", "remove_column"):
        _, _, table, column = diff
        return f"column {table}.{column.name} ({column.type}): {IN_MODELS if kind == 'add_column' else IN_DB}"
    if kind in ("add_index", "remove_index"):
        ix = diff[1]
        unique = "unique " if ix.unique else ""
        return (
            f"{unique}index {ix.name} on {ix.table.name} ({_cols(ix)}): {IN_MODELS if kind == 'add_index' else IN_DB}"
        )
    if kind in ("add_constraint", "remove_constraint"):
        c = diff[1]
        cols = ", ".join(col.name for col in c.columns)
        side = IN_MODELS if kind == "add_constraint" else IN_DB
        return f"{type(c).__name__} {c.name or ''} on {c.table.name} ({cols}): {side}"
    if kind in ("add_fk", "remove_fk"):
        fk = diff[1]
        cols = ", ".join(col.name for col in fk.columns)
        target = fk.referred_table.name if fk.elements else "?"
        side = IN_MODELS if kind == "add_fk" else IN_DB
        return f"foreign key {fk.parent.name}.({cols}) -> {target} (on delete {fk.ondelete}): {side}"
    if kind == "modify_type":
        _, _, table, column, _, db_type, model_type = diff
        return f"column {table}.{column}: type {db_type} in the database, {model_type} in the models"
    if kind == "modify_nullable":
        _, _, table, column, _, db_null, model_null = diff
        word = {True: "NULL allowed", False: "NOT NULL"}
        return f"column {table}.{column}: {word[db_null]} in the database, {word[model_null]} in the models"
    return repr(diff)


def _flatten(diffs: list[Any]) -> list[Any]:
    """Column changes come grouped in lists (one per column); everything else is one tuple."""
    return [d for item in diffs for d in (item if isinstance(item, list) else [item])]


def differences(conn: Connection, metadata: MetaData) -> list[str]:
    context = MigrationContext.configure(conn, opts={"compare_type": True})
    return sorted(describe(d) for d in _flatten(compare_metadata(context, metadata)))


async def _compare(metadata: MetaData) -> list[str]:
    engine = create_async_engine(async_url(ADMIN_URL))
    try:
        async with engine.connect() as conn:
            return await conn.run_sync(differences, metadata)
    finally:
        await engine.dispose()


async def test_models_match_the_migrated_database(migrated_database: str) -> None:
    drift = await _compare(SQLModel.metadata)
    assert not drift, "common/models and alembic/versions disagree:\n  - " + "\n  - ".join(drift)


async def test_drift_is_reported_in_words(migrated_database: str) -> None:
    """The comparison is not blind: a column, an index and a table only the models have are each named."""
    metadata = MetaData()
    for table in SQLModel.metadata.tables.values():
        table.to_metadata(metadata)
    documents = metadata.tables["documents"]
    documents.append_column(Column("colour", String(20), nullable=True))
    Index("ix_documents_colour", documents.c.colour)
    drift = await _compare(metadata)
    assert "column documents.colour (VARCHAR(20)): " + IN_MODELS in drift
    assert "index ix_documents_colour on documents (colour): " + IN_MODELS in drift
    metadata.remove(metadata.tables["members"])
    assert any(line.startswith("table members: " + IN_DB) for line in await _compare(metadata))
