"""Key files and the AES-256-GCM secret box that seals sensitive values kept in events.

The box matches ``domain.ports.SecretBox`` by shape (``seal``/``open`` on ``str``), so the
domain never imports ``cryptography``.
"""

from __future__ import annotations

import base64
import binascii
import os
import secrets
from collections.abc import Callable
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

DATA_KEY_BYTES = 32
NONCE_BYTES = 12
TOKEN_PREFIX = "v1:"


class KeyFileError(RuntimeError):
    """A key file is missing, unreadable or malformed."""


class SecretBoxError(ValueError):
    """A sealed value is malformed, was tampered with, or was sealed under another key."""


class AesGcmSecretBox:
    """Seals strings with AES-256-GCM into ASCII tokens ``v1:<base64url(nonce + ciphertext)>``."""

    def __init__(self, key: bytes) -> None:
        if len(key) != DATA_KEY_BYTES:
            raise KeyFileError(f"an AES-256 data key is {DATA_KEY_BYTES} bytes, got {len(key)}")
        self._aead = AESGCM(key)

    def seal(self, plaintext: str) -> str:
        nonce = secrets.token_bytes(NONCE_BYTES)
        sealed = nonce + self._aead.encrypt(nonce, plaintext.encode(), None)
        return TOKEN_PREFIX + base64.urlsafe_b64encode(sealed).decode("ascii").rstrip("=")

    def open(self, sealed: str) -> str:
        raw = _decode_token(sealed)
        try:
            plaintext = self._aead.decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], None)
        except InvalidTag:
            raise SecretBoxError("sealed value does not open with this key") from None
        return plaintext.decode()


def _decode_token(sealed: str) -> bytes:
    if not sealed.startswith(TOKEN_PREFIX):
        raise SecretBoxError(f"sealed value does not start with {TOKEN_PREFIX!r}")
    body = sealed[len(TOKEN_PREFIX) :]
    try:
        raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    except (binascii.Error, ValueError):
        raise SecretBoxError("sealed value is not base64url") from None
    if len(raw) <= NONCE_BYTES:
        raise SecretBoxError("sealed value is too short")
    return raw


def load_or_create_data_key(path: Path, create: bool) -> bytes:
    """Read the 32-byte data key; when ``create`` (development), make it on first use."""
    if create:
        key = read_or_create_secret_file(path, lambda: secrets.token_bytes(DATA_KEY_BYTES))
    else:
        key = _read_existing(path, "data key (BILLING_DATA_KEY)")
    if len(key) != DATA_KEY_BYTES:
        raise KeyFileError(f"data key file {path} holds {len(key)} bytes, not {DATA_KEY_BYTES}")
    return key


def _read_existing(path: Path, what: str) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise KeyFileError(f"{what} file {path} does not exist") from None
    except OSError as error:
        raise KeyFileError(f"{what} file {path} cannot be read: {error}") from None


def read_or_create_secret_file(path: Path, make: Callable[[], bytes]) -> bytes:
    """Return the file's bytes, first creating it (mode 0600) with ``make()`` if absent.

    The file is written aside and linked into place, so a concurrent first use never sees a
    half-written file and exactly one creator wins.
    """
    if path.exists():
        return path.read_bytes()
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    staging = path.with_name(f".{path.name}.{secrets.token_hex(8)}")
    descriptor = os.open(staging, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "wb") as file:
            file.write(make())
        os.link(staging, path)
    except FileExistsError:
        pass
    finally:
        staging.unlink(missing_ok=True)
    return path.read_bytes()


def load_or_create_export_key(path: Path, create: bool, make: Callable[[], bytes]) -> bytes:
    """Read the Ed25519 export key (PEM); when ``create`` (development), make it on first use."""
    if create:
        return read_or_create_secret_file(path, make)
    return _read_existing(path, "export key (BILLING_EXPORT_KEY)")
