"""Engagement: the creator's triggers (list, create, edit, switch on/off, delete, preview) and the decision log."""

from __future__ import annotations

from typing import Any

import msgspec

from frontend.api.contracts import DecisionLog, PreviewOut, TriggerIn, TriggerList, TriggerOut
from frontend.api.transport import send

BASE = "/api/v1/engagement"


async def triggers(token: str) -> TriggerList:
    return await send("GET", f"{BASE}/triggers", token, into=TriggerList)


async def create_trigger(token: str, body: TriggerIn) -> TriggerOut:
    return await send("POST", f"{BASE}/triggers", token, body=body, into=TriggerOut)


async def set_enabled(token: str, trigger: TriggerOut, enabled: bool) -> TriggerOut:
    """Switch a trigger on or off (the rest of it unchanged)."""
    fields: dict[str, Any] = {f: getattr(trigger, f) for f in TriggerIn.__struct_fields__ if hasattr(trigger, f)}
    body = msgspec.structs.replace(TriggerIn(**fields), enabled=enabled)
    return await send("PUT", f"{BASE}/triggers/{trigger.id}", token, body=body, into=TriggerOut)


async def delete_trigger(token: str, trigger_id: str) -> None:
    await send("DELETE", f"{BASE}/triggers/{trigger_id}", token)


async def preview(token: str, trigger_id: str) -> PreviewOut:
    return await send("POST", f"{BASE}/triggers/{trigger_id}/preview", token, into=PreviewOut)


async def log(token: str, outcome: str | None = None) -> DecisionLog:
    params = {"outcome": outcome} if outcome else None
    return await send("GET", f"{BASE}/log", token, params=params, into=DecisionLog)


async def update_trigger(token: str, trigger_id: str, body: TriggerIn) -> TriggerOut:
    return await send("PUT", f"{BASE}/triggers/{trigger_id}", token, body=body, into=TriggerOut)


async def trigger(token: str, trigger_id: str) -> TriggerOut:
    return await send("GET", f"{BASE}/triggers/{trigger_id}", token, into=TriggerOut)
