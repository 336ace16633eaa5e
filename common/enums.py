"""Enumerations shared by the API and the hub."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    owner = "owner"
    admin = "admin"
    editor = "editor"
    viewer = "viewer"

    @property
    def rank(self) -> int:
        return _RANKS[self]

    def at_least(self, other: Role) -> bool:
        return self.rank >= other.rank


_RANKS = {Role.viewer: 0, Role.editor: 1, Role.admin: 2, Role.owner: 3}


class PrincipalKind(StrEnum):
    staff = "staff"
    member = "member"


class DocumentStatus(StrEnum):
    queued = "queued"
    processing = "processing"
    ready = "ready"
    failed = "failed"


class AccountTokenPurpose(StrEnum):
    """What a one-time account link does (table `account_tokens`)."""

    signup = "signup"
    password_reset = "password_reset"
