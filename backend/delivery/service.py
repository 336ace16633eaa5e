"""Reading the outbox: the delivery log (every message's fate), newest first."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from common.enums import DeliveryStatus
from common.models import OutboxMessage


async def log_of(
    db: AsyncSession, member_id: uuid.UUID | None, status: DeliveryStatus | None, limit: int
) -> list[OutboxMessage]:
    query = select(OutboxMessage).order_by(col(OutboxMessage.created_at).desc()).limit(limit)
    if member_id is not None:
        query = query.where(col(OutboxMessage.member_id) == member_id)
    if status is not None:
        query = query.where(col(OutboxMessage.status) == status.value)
    return list((await db.execute(query)).scalars())
