"""Password hashing (argon2id), the password policy, and signed tokens (JWT)."""

from __future__ import annotations

import hashlib
import secrets
import time
import uuid
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import jwt
from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError

from backend.lib.errors import InvalidInput, NotAuthenticated
from backend.lib.memo import BoundedMemo
from common.settings import Settings

# Verified tokens remembered per process (PyJWT's decode was ~15% of an authenticated read's CPU).
VERIFIED_CACHE_SIZE = 4096
MIN_PASSWORD = 10
MAX_PASSWORD = 256
_COMMON = {"password", "password123", "1234567890", "qwertyuiop", "letmein123", "iloveyou12"}


def check_password_policy(password: str, email: str = "") -> None:
    """At least 10 characters, not all one kind, not a well-known password, not the email."""
    if len(password) < MIN_PASSWORD:
        raise InvalidInput(f"Password must be at least {MIN_PASSWORD} characters long")
    if len(password) > MAX_PASSWORD:
        raise InvalidInput(f"Password must be at most {MAX_PASSWORD} characters long")
    kinds = sum(
        [
            any(c.islower() for c in password),
            any(c.isupper() for c in password),
            any(c.isdigit() for c in password),
            any(not c.isalnum() for c in password),
        ]
    )
    if kinds < 2:
        raise InvalidInput("Password must mix at least two of: lower case, upper case, digits, symbols")
    if password.lower() in _COMMON or (email and password.lower() == email.lower()):
        raise InvalidInput("Password is too easy to guess")


class Passwords:
    def __init__(self, settings: Settings) -> None:
        self._hasher = PasswordHasher(
            time_cost=settings.argon2_time_cost,
            memory_cost=settings.argon2_memory_cost,
            parallelism=settings.argon2_parallelism,
            type=Type.ID,
        )
        # Verifying against a real hash when the user does not exist keeps timing uniform.
        self._dummy = self._hasher.hash(secrets.token_urlsafe(16))

    @property
    def parameters(self) -> dict[str, int]:
        h = self._hasher
        return {"time_cost": h.time_cost, "memory_cost": h.memory_cost, "parallelism": h.parallelism}

    def hash(self, password: str) -> str:
        return self._hasher.hash(password)

    def verify(self, password_hash: str | None, password: str) -> bool:
        try:
            return self._hasher.verify(password_hash or self._dummy, password) and bool(password_hash)
        except (VerificationError, InvalidHashError):
            return False


def sha256_hex(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class Claims:
    sub: uuid.UUID
    cid: uuid.UUID
    typ: str
    jti: uuid.UUID
    exp: int
    iat: float = 0.0  # NumericDate with milliseconds, so a same-second role change still cuts the token off
    role: str = ""
    fam: uuid.UUID | None = None


class Tokens:
    """Signs and verifies our JWTs. HS256 with a secret in dev; RS256 with key files in production."""

    def __init__(self, settings: Settings) -> None:
        self.algorithm = settings.jwt_algorithm
        self.settings = settings
        if self.algorithm == "none" or not self.algorithm:
            raise RuntimeError("JWT_ALGORITHM must name a real algorithm")
        self._verified: BoundedMemo[str, Claims] = BoundedMemo(VERIFIED_CACHE_SIZE)

    @cached_property
    def _signing_key(self) -> Any:
        if self.algorithm.startswith(("RS", "ES", "PS")):
            return Path(self.settings.jwt_private_key_file).read_text()
        return self.settings.jwt_secret

    @cached_property
    def _verify_key(self) -> Any:
        if self.algorithm.startswith(("RS", "ES", "PS")):
            return Path(self.settings.jwt_public_key_file).read_text()
        return self.settings.jwt_secret

    @cached_property
    def mac_key(self) -> bytes:
        """A key for our own MACs (device cookies), derived from the signing key so there is no new secret."""
        material = self._signing_key
        return hashlib.sha256(
            b"coachtwin-mac|" + (material if isinstance(material, bytes) else material.encode())
        ).digest()

    def issue(self, *, typ: str, sub: uuid.UUID, cid: uuid.UUID, ttl: int, **extra: Any) -> tuple[str, Claims]:
        issued = round(time.time(), 3)
        now = int(issued)
        jti = uuid.uuid4()
        payload: dict[str, Any] = {
            "sub": str(sub),
            "cid": str(cid),
            "typ": typ,
            "jti": str(jti),
            "iat": issued,
            "exp": now + ttl,
            **{k: str(v) for k, v in extra.items() if v is not None},
        }
        token = jwt.encode(payload, self._signing_key, algorithm=self.algorithm)
        fam = extra.get("fam")
        return token, Claims(sub, cid, typ, jti, now + ttl, issued, str(extra.get("role", "")), fam)

    def verify(self, token: str, *, typ: str | tuple[str, ...]) -> Claims:
        """The token's claims, if its signature, algorithm, required claims and expiry hold and its type is allowed.

        A token verified once is remembered (by its exact text, bounded): every later request with it checks
        only the expiry (the one claim that changes with time; `iat` and `nbf` only become valid) and the
        type. A token that fails is never remembered, and a forged or altered token is another text.
        """
        allowed = (typ,) if isinstance(typ, str) else typ
        claims = self._verified.get(token)
        if claims is None:
            claims = self._verified.put(token, self._decode(token))
        elif claims.exp <= time.time():  # PyJWT's rule: expired once exp <= now
            self._verified.forget(token)
            raise NotAuthenticated("Token has expired")
        if claims.typ not in allowed:
            raise NotAuthenticated(f"Expected a {' or '.join(allowed)} token")
        return claims

    def _decode(self, token: str) -> Claims:
        try:
            # The algorithm list is fixed: a token claiming "none" or another algorithm is refused.
            data = jwt.decode(
                token,
                self._verify_key,
                algorithms=[self.algorithm],
                options={"require": ["exp", "sub", "cid", "typ", "jti"]},
            )
        except jwt.ExpiredSignatureError as exc:
            raise NotAuthenticated("Token has expired") from exc
        except jwt.PyJWTError as exc:
            raise NotAuthenticated("Token is invalid") from exc
        try:
            return Claims(
                sub=uuid.UUID(data["sub"]),
                cid=uuid.UUID(data["cid"]),
                typ=str(data["typ"]),
                jti=uuid.UUID(data["jti"]),
                exp=int(data["exp"]),
                iat=float(data.get("iat", 0)),
                role=str(data.get("role", "")),
                fam=uuid.UUID(data["fam"]) if data.get("fam") else None,
            )
        except (ValueError, TypeError, AttributeError) as exc:  # uuid.UUID(<int>) raises AttributeError
            raise NotAuthenticated("Token is invalid") from exc
