"""Migrations run as the owner role (DATABASE_ADMIN_URL); they create the app role and RLS policies."""

from __future__ import annotations

import asyncio

from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from alembic import context
from backend.lib.db import async_url
from common.settings import get_settings


def _admin_url() -> str:
    settings = get_settings()
    url = context.config.attributes.get("admin_url") or settings.database_admin_url
    if not url:
        raise RuntimeError("DATABASE_ADMIN_URL is not set (the owner role that runs migrations)")
    return str(url)


def _run(connection: Connection) -> None:
    context.configure(connection=connection, transaction_per_migration=True)
    with context.begin_transaction():
        context.run_migrations()


async def _main() -> None:
    engine = create_async_engine(async_url(_admin_url()))
    async with engine.connect() as conn:
        await conn.run_sync(_run)
        await conn.commit()
    await engine.dispose()


if context.is_offline_mode():
    raise SystemExit("Offline migrations are not supported: they would skip the role checks")
asyncio.run(_main())
