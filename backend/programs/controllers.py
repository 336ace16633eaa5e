"""HTTP endpoints for programs: the builder's CRUD (graph JSON), validation, publishing, templates,
import/export, enrollments and their events, and the simulator. Editors write; viewers read."""

from __future__ import annotations

import uuid

from litestar import Controller, get, post, put
from litestar.params import FromPath, JSONBody

from backend.lib.deps import Caller, Db, Plat
from backend.lib.errors import Forbidden, NotFound
from backend.lib.openapi import errors
from backend.lib.principal import any_principal, has_role, min_role
from backend.programs import repository, runtime, service
from backend.programs.schemas import (
    EnrollIn,
    EnrollmentOut,
    EventIn,
    EventOut,
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
    TranscriptLine,
    ValidationOut,
    enrollment_out,
    program_summary,
)
from backend.programs.templates import EXPORT_FORMAT, all_templates
from common.enums import PrincipalKind, ProgramEventType, Role


class ProgramsController(Controller):
    path = "/api/v1/programs"
    tags = ["programs"]
    guards = [min_role(Role.viewer)]

    @post("/", guards=[min_role(Role.editor)], status_code=201)
    async def create(self, data: JSONBody[ProgramIn], db: Db, principal: Caller) -> ProgramOut:
        graph = service.graph_dict(data.graph) if data.graph is not None else None
        return await service.out(db, await service.create(db, principal, data.name, data.description, graph))

    @get("/")
    async def list_programs(self, db: Db) -> list[ProgramSummary]:
        return [program_summary(p, n) for p, n in await repository.summaries(db)]

    @post("/check", status_code=200)
    async def check_graph(self, data: JSONBody[GraphJSON]) -> ValidationOut:
        """Check a graph as the builder has it now, unsaved: its problems and warnings (nothing is stored)."""
        return service.checked(service.graph_dict(data))

    @get("/templates")
    async def templates(self) -> list[TemplateOut]:
        return [
            TemplateOut(key=t["key"], name=t["name"], description=t["description"], graph=t["graph"])
            for t in all_templates()
        ]

    @post("/import", guards=[min_role(Role.editor)], status_code=201)
    async def import_program(self, data: JSONBody[ImportIn], db: Db, principal: Caller) -> ProgramOut:
        """Create a draft from a template key or from an exported program."""
        return await service.out(db, await service.import_program(db, principal, data))

    @get("/{program_id:uuid}")
    async def read(self, program_id: FromPath[uuid.UUID], db: Db) -> ProgramOut:
        return await service.out(db, await repository.program(db, program_id))

    @get("/{program_id:uuid}/export")
    async def export(self, program_id: FromPath[uuid.UUID], db: Db) -> ExportOut:
        p = await repository.program(db, program_id)
        return ExportOut(format=EXPORT_FORMAT, name=p.name, description=p.description, graph=p.draft)

    @put("/{program_id:uuid}", guards=[min_role(Role.editor)], responses=errors(409))
    async def save(self, program_id: FromPath[uuid.UUID], data: JSONBody[ProgramUpdate], db: Db) -> ProgramOut:
        """Save the draft (published versions never change). Invalid drafts save; publishing checks."""
        return await service.out(db, await service.save(db, program_id, data))

    @post("/{program_id:uuid}/validate", status_code=200)
    async def check(self, program_id: FromPath[uuid.UUID], db: Db) -> ValidationOut:
        return service.checked((await repository.program(db, program_id)).draft)

    @post("/{program_id:uuid}/publish", guards=[min_role(Role.editor)], status_code=201)
    async def publish(self, program_id: FromPath[uuid.UUID], db: Db, principal: Caller) -> PublishOut:
        """Freeze the draft as the next version; new enrollments get it, existing ones keep theirs."""
        v = await service.publish(db, principal, program_id)
        return PublishOut(program_id=v.program_id, version=v.version, published_at=v.published_at)

    @post("/{program_id:uuid}/simulate", status_code=200)
    async def simulate(self, program_id: FromPath[uuid.UUID], data: JSONBody[SimulateIn], db: Db) -> SimulateOut:
        """Run the draft (or a published version) for a test member; touches no member and no table."""
        sim = await service.run_simulation(db, program_id, data)
        return SimulateOut(
            status=sim.status,
            detail=sim.detail,
            path=sim.path,
            transcript=[TranscriptLine(**line) for line in sim.transcript],
            goals=sim.goals,
            started_at=sim.started_at,
            ended_at=sim.ended_at,
            issues=[],
        )

    @post("/{program_id:uuid}/enrollments", guards=[min_role(Role.editor)], status_code=201, responses=errors(409))
    async def enroll(
        self, program_id: FromPath[uuid.UUID], data: JSONBody[EnrollIn], db: Db, platform: Plat, principal: Caller
    ) -> EnrollmentOut:
        result = await runtime.enroll(db, principal.creator_id, program_id, data.member_id)
        assert result.enrollment is not None
        service.kick_after_commit(platform, db, result)
        return enrollment_out(result.enrollment, await service.enrollment_version(db, result.enrollment))

    @get("/{program_id:uuid}/enrollments")
    async def enrollments(self, program_id: FromPath[uuid.UUID], db: Db) -> list[EnrollmentOut]:
        await repository.program(db, program_id)
        return [enrollment_out(e, v) for e, v in await repository.enrollments_of(db, program_id)]


class EnrollmentsController(Controller):
    path = "/api/v1/enrollments"
    tags = ["programs"]
    guards = [any_principal]

    @get("/{enrollment_id:uuid}", guards=[min_role(Role.viewer)])
    async def read(self, enrollment_id: FromPath[uuid.UUID], db: Db) -> EnrollmentOut:
        e = await repository.enrollment(db, enrollment_id)
        return enrollment_out(e, await service.enrollment_version(db, e))

    @post("/{enrollment_id:uuid}/pause", guards=[min_role(Role.editor)], status_code=200, responses=errors(409))
    async def pause(self, enrollment_id: FromPath[uuid.UUID], db: Db) -> EnrollmentOut:
        e = await runtime.pause(db, enrollment_id)
        return enrollment_out(e, await service.enrollment_version(db, e))

    @post("/{enrollment_id:uuid}/resume", guards=[min_role(Role.editor)], status_code=200, responses=errors(409))
    async def resume(self, enrollment_id: FromPath[uuid.UUID], db: Db, platform: Plat) -> EnrollmentOut:
        result = await runtime.resume(db, enrollment_id)
        assert result.enrollment is not None
        service.kick_after_commit(platform, db, result)
        return enrollment_out(result.enrollment, await service.enrollment_version(db, result.enrollment))

    @post("/{enrollment_id:uuid}/unenroll", guards=[min_role(Role.editor)], status_code=200, responses=errors(409))
    async def unenroll(self, enrollment_id: FromPath[uuid.UUID], db: Db) -> EnrollmentOut:
        e = await runtime.unenroll(db, enrollment_id)
        return enrollment_out(e, await service.enrollment_version(db, e))

    @post("/{enrollment_id:uuid}/events", status_code=200, responses=errors(409))
    async def event(
        self, enrollment_id: FromPath[uuid.UUID], data: JSONBody[EventIn], db: Db, platform: Plat, principal: Caller
    ) -> EventOut:
        """An answer, a behaviour event or a twin turn. Staff editors post for any member; a member (member
        token) only for their own enrollment. Retrying with the same key is safe."""
        if principal.kind is PrincipalKind.member:
            if await repository.enrollment_member(db, enrollment_id) != principal.subject_id:
                raise NotFound("Enrollment not found")
        elif not has_role(principal, Role.editor):
            raise Forbidden("This needs the editor role or higher")
        result = await runtime.handle_event(db, enrollment_id, ProgramEventType(data.type), data.key, data.payload)
        assert result.enrollment is not None
        service.kick_after_commit(platform, db, result)
        e = result.enrollment
        return EventOut(
            outcome=result.outcome,
            detail=result.detail,
            messages=result.messages,
            enrollment=enrollment_out(e, await service.enrollment_version(db, e)),
        )
