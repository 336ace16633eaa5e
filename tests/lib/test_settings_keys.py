"""Settings refuse insecure defaults outside dev, and RS256 with key files signs and verifies."""

from __future__ import annotations

import dataclasses
import uuid
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from backend.lib.errors import NotAuthenticated
from backend.lib.security import Tokens
from common.settings import Settings


def _keys(folder: Path) -> tuple[Path, Path]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = folder / "private.pem"
    public = folder / "public.pem"
    private.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    public.write_bytes(
        key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    return private, public


def test_production_refuses_the_dev_secret() -> None:
    with pytest.raises(RuntimeError, match="JWT_SECRET"):
        Settings(env="production").validate()
    with pytest.raises(RuntimeError, match="RS256"):
        Settings(env="production", jwt_algorithm="RS256").validate()
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        Settings(env="production", jwt_secret="a-real-secret-" * 4).validate()
    Settings(
        env="production",
        jwt_secret="a-real-secret-" * 4,
        secret_key="an-encryption-key-" * 2,
        smtp_url="smtp://mail.example.com:587",
    ).validate()
    with pytest.raises(RuntimeError, match="SMTP_URL"):
        Settings(env="production", jwt_secret="a-real-secret-" * 4, secret_key="an-encryption-key-" * 2).validate()
    Settings(env="dev").validate()


def test_rs256_round_trip_and_foreign_key_refused(tmp_path: Path) -> None:
    private, public = _keys(tmp_path)
    settings = Settings(jwt_algorithm="RS256", jwt_private_key_file=str(private), jwt_public_key_file=str(public))
    tokens = Tokens(settings)
    token, claims = tokens.issue(typ="access", sub=uuid.uuid4(), cid=uuid.uuid4(), ttl=60, role="owner")
    assert tokens.verify(token, typ="access").jti == claims.jti

    other_dir = tmp_path / "other"
    other_dir.mkdir()
    other_private, _ = _keys(other_dir)
    forger = Tokens(dataclasses.replace(settings, jwt_private_key_file=str(other_private)))
    forged, _ = forger.issue(typ="access", sub=uuid.uuid4(), cid=uuid.uuid4(), ttl=60)
    with pytest.raises(NotAuthenticated):
        tokens.verify(forged, typ="access")
    # With RS256 configured, a well-formed HS256 token is refused for its algorithm alone.
    import jwt

    claims_ok = {
        "sub": str(uuid.uuid4()),
        "cid": str(uuid.uuid4()),
        "typ": "access",
        "jti": str(uuid.uuid4()),
        "exp": 2**31,
    }
    hs = jwt.encode(claims_ok, "some-shared-secret-of-enough-length-123", algorithm="HS256")
    with pytest.raises(NotAuthenticated):
        tokens.verify(hs, typ="access")
