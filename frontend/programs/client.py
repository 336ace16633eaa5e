"""The programs part of the hub's API client (same transport and errors as `frontend.api`)."""

from __future__ import annotations

from typing import Any

from frontend.api import request

BASE = "/api/v1/programs"


async def programs(token: str) -> list[dict[str, Any]]:
    return list(await request("GET", f"{BASE}/", token))


async def templates(token: str) -> list[dict[str, Any]]:
    return list(await request("GET", f"{BASE}/templates", token))


async def create(token: str, name: str, description: str = "") -> dict[str, Any]:
    return dict(await request("POST", f"{BASE}/", token, json={"name": name, "description": description}))


async def import_program(token: str, body: dict[str, Any]) -> dict[str, Any]:
    """`body` is `{"template": key}` or an exported program."""
    return dict(await request("POST", f"{BASE}/import", token, json=body))


async def program(token: str, program_id: str) -> dict[str, Any]:
    return dict(await request("GET", f"{BASE}/{program_id}", token))


async def export(token: str, program_id: str) -> dict[str, Any]:
    return dict(await request("GET", f"{BASE}/{program_id}/export", token))


async def save(token: str, program_id: str, body: dict[str, Any]) -> dict[str, Any]:
    return dict(await request("PUT", f"{BASE}/{program_id}", token, json=body))


async def validate(token: str, program_id: str) -> dict[str, Any]:
    return dict(await request("POST", f"{BASE}/{program_id}/validate", token))


async def publish(token: str, program_id: str) -> dict[str, Any]:
    return dict(await request("POST", f"{BASE}/{program_id}/publish", token))


async def simulate(token: str, program_id: str, body: dict[str, Any]) -> dict[str, Any]:
    return dict(await request("POST", f"{BASE}/{program_id}/simulate", token, json=body, wait=60))


async def enrollments(token: str, program_id: str) -> list[dict[str, Any]]:
    return list(await request("GET", f"{BASE}/{program_id}/enrollments", token))


async def enroll(token: str, program_id: str, member_id: str) -> dict[str, Any]:
    return dict(await request("POST", f"{BASE}/{program_id}/enrollments", token, json={"member_id": member_id}))


async def enrollment_action(token: str, enrollment_id: str, action: str) -> dict[str, Any]:
    """`action` is pause, resume or unenroll."""
    return dict(await request("POST", f"/api/v1/enrollments/{enrollment_id}/{action}", token))


async def members(token: str) -> list[dict[str, Any]]:
    return list(await request("GET", "/api/v1/members/", token))


async def upsert_member(token: str, external_id: str, display_name: str, timezone: str) -> dict[str, Any]:
    """Create a member (or update the one with this external id, e.g. an email)."""
    body = {"external_id": external_id, "display_name": display_name, "timezone": timezone}
    return dict(await request("POST", "/api/v1/members/", token, json=body))
