"""The delivery log as the hub reads it."""

from __future__ import annotations

import uuid
from datetime import datetime

import msgspec

from common.models import OutboxMessage


class DeliveryOut(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    channel: str
    status: str
    idempotency_key: str
    attempts: int
    error: str | None
    created_at: datetime
    member_id: uuid.UUID
    message_id: uuid.UUID
    updated_at: datetime


class DeliveriesOut(msgspec.Struct, kw_only=True):
    deliveries: list[DeliveryOut]


def delivery_out(row: OutboxMessage) -> DeliveryOut:
    return DeliveryOut(
        id=row.id,
        channel=row.channel,
        status=row.status,
        idempotency_key=row.idempotency_key,
        attempts=row.attempts,
        error=row.error,
        created_at=row.created_at,
        member_id=row.member_id,
        message_id=row.message_id,
        updated_at=row.updated_at,
    )
