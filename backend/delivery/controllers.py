"""HTTP for the delivery log: what the platform sent to members, on which channel, and what became of it."""

from __future__ import annotations

import uuid
from typing import Annotated

from litestar import Controller, get
from litestar.params import QueryParameter

from backend.delivery import service
from backend.delivery.schemas import DeliveriesOut, delivery_out
from backend.lib.deps import Db
from backend.lib.principal import min_role
from common.enums import DeliveryStatus, Role


class DeliveriesController(Controller):
    path = "/api/v1/deliveries"
    tags = ["delivery"]
    guards = [min_role(Role.viewer)]

    @get("")
    async def deliveries(
        self,
        db: Db,
        member_id: Annotated[uuid.UUID | None, QueryParameter(description="one member's deliveries")] = None,
        status: Annotated[DeliveryStatus | None, QueryParameter(description="only this state")] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=500)] = 100,
    ) -> DeliveriesOut:
        """The outbox, newest first: each message's channel, state (queued, sent, delivered, read, failed),
        idempotency key, attempts and last error; filtered by member and state."""
        rows = await service.log_of(db, member_id, status, limit)
        return DeliveriesOut(deliveries=[delivery_out(r) for r in rows])
