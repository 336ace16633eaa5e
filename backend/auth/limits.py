"""Rate limits of the account flows (Redis fixed windows): per IP and per email, never revealing an account."""

from __future__ import annotations

from backend.lib.cache import global_key, hit
from backend.lib.platform import Platform
from backend.lib.security import sha256_hex


async def account_attempt(platform: Platform, action: str, ip: str, email: str | None = None) -> None:
    """Count one `action` attempt (register, password_reset, invitation, ...) from `ip` and for `email`.

    The per-email budget applies whether or not the address has an account, so a 429 tells nothing."""
    s = platform.settings
    await hit(platform.redis, global_key(action, f"ip:{ip}"), s.account_limit_per_ip, s.account_limit_window)
    if email:
        key = global_key(action, f"email:{sha256_hex(email.lower())}")
        await hit(platform.redis, key, s.account_limit_per_email, s.account_limit_window)
