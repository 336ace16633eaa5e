"""Device cookies (OWASP's answer to lockout abuse): a browser that signed in to an account before carries a
signed token naming that account. Failed sign-ins are counted per such device, or else in one bucket of
"unknown devices" per account, so strangers guessing a password lock out only unknown devices, never the
owner's own browser.

The token travels as an HttpOnly cookie (`ct_device`, path /api/v1/auth) and, for clients that call the API
from a server (the hub), as `device_token` in the sign-in answer and request."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time

from backend.lib.platform import Platform
from backend.lib.security import sha256_hex

COOKIE = "ct_device"
TTL = 180 * 24 * 3600


def _account(email: str) -> str:
    return sha256_hex("device|" + email.lower())[:32]


def _sign(platform: Platform, body: str) -> str:
    mac = hmac.new(platform.tokens.mac_key, body.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).decode().rstrip("=")


def issue(platform: Platform, email: str) -> str:
    body = f"d1.{_account(email)}.{secrets.token_urlsafe(12)}.{int(time.time()) + TTL}"
    return f"{body}.{_sign(platform, body)}"


def device_id(platform: Platform, token: str | None, email: str) -> str | None:
    """The device's id if `token` is a valid, unexpired device token for this account; else None."""
    if not token or len(token) > 200:
        return None
    body, _, signature = token.rpartition(".")
    parts = body.split(".")
    if len(parts) != 4 or parts[0] != "d1" or not hmac.compare_digest(_sign(platform, body), signature):
        return None
    if parts[1] != _account(email) or not parts[3].isdigit() or int(parts[3]) < time.time():
        return None
    return parts[2]
