"""SQLModel tables shared by backend and frontend. Every tenant table carries `creator_id`."""

from common.models.accounts import Creator, Invitation, Membership, RefreshToken, User
from common.models.base import TenantTable

__all__ = ["Creator", "Invitation", "Membership", "RefreshToken", "TenantTable", "User"]
