"""SQLModel tables shared by backend and frontend. Every tenant table carries `creator_id`."""

from common.models.accounts import AccountToken, Creator, Invitation, Membership, RefreshToken, User
from common.models.base import TenantTable
from common.models.knowledge import Chunk, Document, DocumentFile
from common.models.programs import Achievement, Enrollment, Program, ProgramEvent, ProgramTimer, ProgramVersion
from common.models.twin import Conversation, Member, MemberFact, Message, Persona

__all__ = [
    "AccountToken",
    "Achievement",
    "Chunk",
    "Conversation",
    "Creator",
    "Document",
    "DocumentFile",
    "Enrollment",
    "Invitation",
    "Member",
    "MemberFact",
    "Membership",
    "Message",
    "Persona",
    "Program",
    "ProgramEvent",
    "ProgramTimer",
    "ProgramVersion",
    "RefreshToken",
    "TenantTable",
    "User",
]
