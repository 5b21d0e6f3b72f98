"""Authenticated encryption of free-text health data at rest (AES-256-GCM, key rotation).

Keys come from ``settings.DATA_ENCRYPTION_KEYS``: ``"id1:base64key,id2:base64key"``. The first
key encrypts; every listed key decrypts, so a new key is put first and old ciphertexts are
re-encrypted later with ``manage.py rotate_data_keys``. A stored value reads
``enc1:<key id>:<base64(nonce || ciphertext+tag)>``; the key id and field name are bound as
associated data, so a value cannot be moved to another column unnoticed.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from functools import lru_cache
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models

PREFIX = "enc1"


class DecryptionError(Exception):
    """A stored value could not be decrypted with any configured key."""


def _decode_key(text: str) -> bytes:
    raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    if len(raw) not in (16, 24, 32):
        raise ImproperlyConfigured("Each data encryption key must be 16, 24 or 32 bytes (base64).")
    return raw


@lru_cache(maxsize=8)
def _keyring(spec: str) -> tuple[str, dict[str, AESGCM]]:
    keys: dict[str, AESGCM] = {}
    order: list[str] = []
    for item in spec.split(","):
        key_id, _, material = item.strip().partition(":")
        if not key_id or not material:
            raise ImproperlyConfigured("OEGD_DATA_KEYS must read 'id:base64key[,id:base64key…]'.")
        keys[key_id] = AESGCM(_decode_key(material))
        order.append(key_id)
    return order[0], keys


def keyring() -> tuple[str, dict[str, AESGCM]]:
    return _keyring(settings.DATA_ENCRYPTION_KEYS)


def keyed_digest(secret: str) -> str:
    """HMAC-SHA256 of a secret we must recognise but never store (API tokens, status secrets)."""
    return hmac.new(settings.SECRET_KEY.encode(), secret.encode(), hashlib.sha256).hexdigest()


def pseudonym(text: str) -> str:
    """HMAC-SHA256 (hex) of ``text`` keyed with ``settings.PSEUDONYM_KEY``, for pseudonyms that leave
    the platform or feed the warehouse: kept apart from SECRET_KEY, so rotating that changes none of them."""
    return hmac.new(settings.PSEUDONYM_KEY.encode(), text.encode(), hashlib.sha256).hexdigest()


def digest_matches(secret: str, digest: str) -> bool:
    """Constant-time check of ``secret`` against a stored ``keyed_digest``."""
    return hmac.compare_digest(keyed_digest(secret), digest)


def generate_key() -> str:
    """A fresh random 256-bit key, base64url, for OEGD_DATA_KEYS."""
    return base64.urlsafe_b64encode(os.urandom(32)).decode().rstrip("=")


def encrypt(plaintext: str, *, context: str = "") -> str:
    """Encrypt ``plaintext`` with the current key; ``context`` (e.g. a column name) is authenticated."""
    key_id, keys = keyring()
    nonce = os.urandom(12)
    sealed = keys[key_id].encrypt(nonce, plaintext.encode(), f"{key_id}|{context}".encode())
    return f"{PREFIX}:{key_id}:{base64.b64encode(nonce + sealed).decode()}"


def decrypt(token: str, *, context: str = "") -> str:
    prefix, key_id, payload = _split(token)
    _, keys = keyring()
    if key_id not in keys:
        raise DecryptionError(f"Unknown data key '{key_id}'.")
    blob = base64.b64decode(payload)
    try:
        return keys[key_id].decrypt(blob[:12], blob[12:], f"{key_id}|{context}".encode()).decode()
    except InvalidTag as exc:
        raise DecryptionError("Ciphertext was altered or belongs elsewhere.") from exc


BYTES_PREFIX = b"encb1:"


def encrypt_bytes(data: bytes, *, context: str = "") -> bytes:
    """Encrypt file contents: ``encb1:<key id>:`` + nonce + ciphertext+tag (``context`` authenticated)."""
    key_id, keys = keyring()
    nonce = os.urandom(12)
    sealed = keys[key_id].encrypt(nonce, data, f"{key_id}|{context}".encode())
    return BYTES_PREFIX + key_id.encode() + b":" + nonce + sealed


def decrypt_bytes(blob: bytes, *, context: str = "") -> bytes:
    if not blob.startswith(BYTES_PREFIX):
        raise DecryptionError("Not encrypted file contents.")
    key_id, sep, rest = blob[len(BYTES_PREFIX) :].partition(b":")
    _, keys = keyring()
    name = key_id.decode("ascii", "replace")
    if not sep or name not in keys:
        raise DecryptionError(f"Unknown data key '{name}'.")
    try:
        return keys[name].decrypt(rest[:12], rest[12:], f"{name}|{context}".encode())
    except InvalidTag as exc:
        raise DecryptionError("Ciphertext was altered or belongs elsewhere.") from exc


def needs_rotation(token: str) -> bool:
    """True when ``token`` was sealed with a key other than the current one."""
    return _split(token)[1] != keyring()[0]


def _split(token: str) -> tuple[str, str, str]:
    parts = token.split(":", 2)
    if len(parts) != 3 or parts[0] != PREFIX:
        raise DecryptionError("Not an encrypted value.")
    return parts[0], parts[1], parts[2]


class EncryptedTextField(models.TextField):
    """A text column stored only as AES-GCM ciphertext; reads give plaintext back."""

    def contribute_to_class(self, cls: type[models.Model], name: str, *args: Any, **kwargs: Any) -> None:
        super().contribute_to_class(cls, name, *args, **kwargs)
        self._context = f"{cls._meta.label_lower}.{name}"

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> str | None:
        if value is None or value == "":
            return value
        return decrypt(value, context=self._context)

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return encrypt(str(value), context=self._context)
