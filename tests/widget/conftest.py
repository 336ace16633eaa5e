"""Fixtures shared with the programs tests: an admin connection (to look under RLS) and a platform."""

from tests.programs.conftest import admin_conn, platform

__all__ = ["admin_conn", "platform"]
