"""Secrets kept in the database (a widget's identity secret; bot tokens and app secrets next), encrypted.

AES-256-GCM with a key derived from `SECRET_KEY` (refused at its dev default outside dev). The tenant's id
is the associated data, so a ciphertext copied into another workspace's row does not decrypt there.
Stored form: `v1.<base64url(nonce | ciphertext+tag)>`; the version leaves room to rotate the key.
"""

from __future__ import annotations

import base64
import hashlib
import os
import uuid

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

_PREFIX = "v1."
_NONCE = 12


class SecretBox:
    def __init__(self, secret_key: str) -> None:
        # A fixed, labelled derivation: the same SECRET_KEY may sign other things without sharing this key.
        self._aead = AESGCM(hashlib.sha256(b"coachtwin/secretbox/v1|" + secret_key.encode()).digest())

    def seal(self, plaintext: str, creator_id: uuid.UUID) -> str:
        nonce = os.urandom(_NONCE)
        sealed = self._aead.encrypt(nonce, plaintext.encode(), creator_id.bytes)
        return _PREFIX + base64.urlsafe_b64encode(nonce + sealed).decode()

    def open(self, stored: str, creator_id: uuid.UUID) -> str:
        """The plaintext; ValueError when the text was not sealed by this key for this tenant."""
        if not stored.startswith(_PREFIX):
            raise ValueError("unknown secret format")
        raw = base64.urlsafe_b64decode(stored[len(_PREFIX) :])
        try:
            return self._aead.decrypt(raw[:_NONCE], raw[_NONCE:], creator_id.bytes).decode()
        except InvalidTag as exc:
            raise ValueError("the secret does not open with this key for this workspace") from exc
