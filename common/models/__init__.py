"""SQLModel tables shared by backend and frontend. Every tenant table carries `creator_id`."""

from common.models.accounts import Creator, Invitation, Membership, RefreshToken, User
from common.models.base import TenantTable
from common.models.knowledge import Chunk, Document, DocumentFile

__all__ = [
    "Chunk",
    "Creator",
    "Document",
    "DocumentFile",
    "Invitation",
    "Membership",
    "RefreshToken",
    "TenantTable",
    "User",
]
