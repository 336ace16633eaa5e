"""Programs: list, create (blank, template, import), read, save, validate, publish, export, simulate, and
enrollments (enroll, pause, resume, unenroll)."""

from __future__ import annotations

import copy
import uuid
from typing import Any, Literal

import msgspec

from frontend.api.contracts import (
    EnrollIn,
    EnrollmentOut,
    ExportOut,
    GraphJSON,
    ImportIn,
    ProgramIn,
    ProgramOut,
    ProgramSummary,
    ProgramUpdate,
    PublishOut,
    SimulateIn,
    SimulateOut,
    TemplateOut,
    ValidationOut,
)
from frontend.api.transport import ApiError, send

BASE = "/api/v1/programs"
EnrollmentAction = Literal["pause", "resume", "unenroll"]


def graph_in(graph: dict[str, Any]) -> GraphJSON:
    """The builder's graph as the API's contract (keys the canvas adds, like `measured`, are dropped).

    A copy first: a state's value is a Reflex proxy of the dict, which msgspec does not take for one."""
    try:
        return msgspec.convert(copy.deepcopy(graph), GraphJSON)
    except msgspec.ValidationError as exc:
        raise ApiError(422, "invalid_input", f"The program graph is not valid: {exc}") from exc


async def programs(token: str) -> list[ProgramSummary]:
    return await send("GET", f"{BASE}/", token, into=list[ProgramSummary])


async def templates(token: str) -> list[TemplateOut]:
    return await send("GET", f"{BASE}/templates", token, into=list[TemplateOut])


async def create(token: str, name: str, description: str = "") -> ProgramOut:
    return await send("POST", f"{BASE}/", token, body=ProgramIn(name=name, description=description), into=ProgramOut)


async def from_template(token: str, key: str) -> ProgramOut:
    return await send("POST", f"{BASE}/import", token, body=ImportIn(template=key), into=ProgramOut)


async def import_program(token: str, exported: dict[str, Any]) -> ProgramOut:
    """An exported program (`coachtwin.program/v1`), as read from the file; the API says what is wrong with it."""
    return await send("POST", f"{BASE}/import", token, body=exported, into=ProgramOut)


async def program(token: str, program_id: str) -> ProgramOut:
    return await send("GET", f"{BASE}/{program_id}", token, into=ProgramOut)


async def export(token: str, program_id: str) -> ExportOut:
    return await send("GET", f"{BASE}/{program_id}/export", token, into=ExportOut)


async def save(token: str, program_id: str, body: ProgramUpdate) -> ProgramOut:
    return await send("PUT", f"{BASE}/{program_id}", token, body=body, into=ProgramOut)


async def validate(token: str, program_id: str) -> ValidationOut:
    return await send("POST", f"{BASE}/{program_id}/validate", token, into=ValidationOut)


async def publish(token: str, program_id: str) -> PublishOut:
    return await send("POST", f"{BASE}/{program_id}/publish", token, into=PublishOut)


async def simulate(token: str, program_id: str, body: SimulateIn) -> SimulateOut:
    return await send("POST", f"{BASE}/{program_id}/simulate", token, body=body, wait=60, into=SimulateOut)


async def enrollments(token: str, program_id: str) -> list[EnrollmentOut]:
    return await send("GET", f"{BASE}/{program_id}/enrollments", token, into=list[EnrollmentOut])


async def enroll(token: str, program_id: str, member_id: str) -> EnrollmentOut:
    body = EnrollIn(member_id=uuid.UUID(member_id))
    return await send("POST", f"{BASE}/{program_id}/enrollments", token, body=body, into=EnrollmentOut)


async def enrollment_action(token: str, enrollment_id: str, action: EnrollmentAction) -> EnrollmentOut:
    return await send("POST", f"/api/v1/enrollments/{enrollment_id}/{action}", token, into=EnrollmentOut)


async def check(token: str, graph: GraphJSON) -> ValidationOut:
    """The problems and warnings of a graph as the builder has it (nothing is stored)."""
    return await send("POST", f"{BASE}/check", token, body=graph, into=ValidationOut)
