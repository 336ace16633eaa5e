"""A Marcus Aurelius workspace for the trainer: his book's first ~70 kB ingested, a synthesized and approved
persona, a member, and a team with every role. Built once per session (ingestion and synthesis take
seconds with the real model)."""

from __future__ import annotations

from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from tests.auth.test_team import join
from tests.chat.test_creators import CREATORS, approved_twin


@pytest.fixture(scope="session")
async def marcus(app: Any) -> dict[str, Any]:
    async with AsyncTestClient(app=app) as client:
        owner = await approved_twin(client, CREATORS[0])
        for role in ("admin", "editor", "viewer"):
            owner[role] = await join(client, owner, role)
    return owner
