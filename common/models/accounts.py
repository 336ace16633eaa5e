"""Workspaces (creators), staff accounts, memberships with roles, refresh tokens, invitations."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Column, DateTime, String, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

from common.enums import Role
from common.models.base import TenantTable, created_at_field


class Creator(SQLModel, table=True):
    """A creator workspace: the tenant."""

    __tablename__ = "creators"
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    name: str = Field(max_length=200)
    created_at: datetime = created_at_field()


class User(SQLModel, table=True):
    """A staff identity. Visible only to itself and to workspaces it belongs to (RLS)."""

    __tablename__ = "users"
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    email: str = Field(sa_column=Column(String(320), unique=True, nullable=False))
    password_hash: str
    full_name: str = Field(max_length=200)
    created_at: datetime = created_at_field()


class Membership(TenantTable, table=True):
    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("creator_id", "user_id"),)
    user_id: uuid.UUID = Field(foreign_key="users.id", index=True, ondelete="CASCADE")
    role: Role = Field(sa_column=Column(String(16), nullable=False))
    created_at: datetime = created_at_field()


class RefreshToken(TenantTable, table=True):
    """One issued refresh token; `family_id` links a chain of rotations for reuse detection."""

    __tablename__ = "refresh_tokens"
    user_id: uuid.UUID = Field(foreign_key="users.id", index=True, ondelete="CASCADE")
    family_id: uuid.UUID = Field(index=True)
    expires_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    used_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    revoked_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    created_at: datetime = created_at_field()


class Invitation(TenantTable, table=True):
    """A pending staff invitation; only the SHA-256 of its secret is stored."""

    __tablename__ = "invitations"
    email: str = Field(max_length=320)
    role: Role = Field(sa_column=Column(String(16), nullable=False))
    token_hash: str = Field(sa_column=Column(String(64), unique=True, nullable=False))
    invited_by: uuid.UUID | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")
    expires_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    accepted_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    created_at: datetime = created_at_field()


class AccountToken(SQLModel, table=True):
    """A pending sign-up or a password reset: one-time, expiring, only the SHA-256 of its secret stored.

    The app role has no rights on this table: it goes through `account_token_issue` / `account_token_consume`
    (migration 0008)."""

    __tablename__ = "account_tokens"
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    purpose: str = Field(max_length=16)
    token_hash: str = Field(sa_column=Column(String(64), unique=True, nullable=False))
    email: str = Field(max_length=320, index=True)
    user_id: uuid.UUID | None = Field(default=None, foreign_key="users.id", ondelete="CASCADE")
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSONB, nullable=False))
    expires_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    used_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    created_at: datetime = created_at_field()
