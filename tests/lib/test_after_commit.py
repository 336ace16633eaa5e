"""`after_commit`: work registered on a session runs once its transaction is committed, never after a rollback."""

from __future__ import annotations

import uuid

import pytest

from backend.lib.db import after_commit, create_database
from backend.lib.tenancy import TenantContext
from common.models import Creator
from tests.conftest import APP_URL


async def test_runs_after_the_commit_and_sees_the_committed_row(migrated_database: str) -> None:
    db = create_database(APP_URL, pool_size=2)
    cid, seen = uuid.uuid4(), list[bool]()

    async def visible_elsewhere() -> None:
        async with db.session(TenantContext(cid)) as other:  # another connection: only committed rows
            seen.append(await other.get(Creator, cid) is not None)

    try:
        async with db.session(TenantContext(cid)) as session:
            session.add(Creator(id=cid, name="after-commit"))
            await session.flush()
            after_commit(session, visible_elsewhere)
            assert seen == []
            await session.commit()
            assert seen == [True]
            await session.commit()  # a callback runs once
            assert seen == [True]
    finally:
        await db.dispose()


async def test_rollback_drops_the_callbacks(migrated_database: str) -> None:
    db = create_database(APP_URL, pool_size=1)
    ran: list[str] = []

    async def note() -> None:
        ran.append("ran")

    try:
        async with db.session(TenantContext(uuid.uuid4())) as session:
            after_commit(session, note)
            await session.rollback()
            await session.commit()
        async with db.session(TenantContext(uuid.uuid4())) as session:
            after_commit(session, note)  # closed without a commit
        assert ran == []
    finally:
        await db.dispose()


async def test_a_failing_callback_does_not_skip_the_others(migrated_database: str) -> None:
    db = create_database(APP_URL, pool_size=1)
    ran: list[str] = []

    async def fail() -> None:
        raise RuntimeError("cache down")

    async def note() -> None:
        ran.append("ran")

    try:
        async with db.session(TenantContext(uuid.uuid4())) as session:
            after_commit(session, fail)
            after_commit(session, note)
            with pytest.raises(RuntimeError, match="cache down"):
                await session.commit()
        assert ran == ["ran"]
    finally:
        await db.dispose()
