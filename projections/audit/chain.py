"""Hash chains (C3) and Ed25519 signatures over them.

A chain starts at 32 zero bytes; each link is SHA-256(previous link + the record's
canonical bytes), so changing, dropping, inserting or moving any record changes every
link after it. Canonical bytes: JSON with sorted keys, no spaces, UTF-8 (orjson).
"""

from __future__ import annotations

import base64
import hashlib
import struct
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import orjson
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from eventsourcing.persistence import Notification

GENESIS = bytes(32)


def canonical(value: Any) -> bytes:
    """The canonical bytes of a JSON value."""
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)


def link(previous: bytes, data: bytes) -> bytes:
    """The next link of a chain."""
    return hashlib.sha256(previous + data).digest()


def row_bytes(notification: Notification) -> bytes:
    """The canonical bytes of a stored event row: position, aggregate, version, topic, state."""
    aggregate = str(notification.originator_id).encode()
    topic = notification.topic.encode()
    head = struct.pack(">QQI", notification.id, notification.originator_version, len(aggregate))
    return b"".join((head, aggregate, struct.pack(">I", len(topic)), topic, notification.state))


def row_hash(notification: Notification) -> bytes:
    """The SHA-256 of a stored event row."""
    return hashlib.sha256(row_bytes(notification)).digest()


class BackgroundDigest:
    """SHA-256 of a stream of large blocks, computed by a thread of its own (issue 21).

    hashlib lets go of the GIL while it hashes a block of more than 2 KiB, so a file's
    digest runs on the other core while this one walks the chain line by line; at most
    `ahead` blocks wait (memory stays constant). Each block is then handed to `sink` (a
    file's `write`, which lets go of the GIL too), in order, on the same thread.
    `hexdigest` waits for every block.
    """

    def __init__(self, ahead: int = 4, sink: Callable[[bytes], object] | None = None) -> None:
        self._digest = hashlib.sha256()
        self._ahead = ahead
        self._sink = sink
        self._pending: deque[Future[None]] = deque()
        self._worker = ThreadPoolExecutor(1, thread_name_prefix="digest")
        self._closing = False

    def update(self, data: bytes) -> None:
        """Hash `data` after the blocks before it (then hand it to the sink)."""
        self._pending.append(self._worker.submit(self._take, data))
        while len(self._pending) > self._ahead:
            self._pending.popleft().result()

    def update_from(self, path: Path, block: int = 1 << 20) -> None:
        """Hash the file at `path`, read on the digest's thread (which lets go of the GIL
        to read and to hash: issue 21, a verify's other walker needs this core)."""

        def read() -> None:
            with path.open("rb") as file:
                while not self._closing and (data := file.read(block)):
                    self._take(data)

        self._pending.append(self._worker.submit(read))

    def _take(self, data: bytes) -> None:
        self._digest.update(data)
        if self._sink is not None:
            self._sink(data)

    def hexdigest(self) -> str:
        """The digest of every block given (each one in the sink)."""
        while self._pending:
            self._pending.popleft().result()
        self._worker.shutdown()
        return self._digest.hexdigest()

    def close(self) -> None:
        """Stop its thread now, leaving what is not hashed yet (a verify that failed early:
        session 10). Idempotent; after `hexdigest` it has nothing left to do."""
        self._closing = True
        self._worker.shutdown(cancel_futures=True)


class Signer:
    """Signs with the service's Ed25519 export key."""

    def __init__(self, private_pem: bytes) -> None:
        key = serialization.load_pem_private_key(private_pem, password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise ValueError("the export key is not an Ed25519 private key")
        self._key = key

    def sign(self, data: bytes) -> str:
        """A base64 Ed25519 signature of `data`."""
        return base64.b64encode(self._key.sign(data)).decode()

    def public_pem(self) -> bytes:
        """The public key, as PEM (SubjectPublicKeyInfo)."""
        return self._key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )


def new_private_pem() -> bytes:
    """A new Ed25519 private key as unencrypted PKCS#8 PEM."""
    return Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def signature_holds(public_pem: bytes, data: bytes, signature: str) -> bool:
    """Whether `signature` is the key's signature of `data`."""
    try:
        key = serialization.load_pem_public_key(public_pem)
        if not isinstance(key, Ed25519PublicKey):
            return False
        key.verify(base64.b64decode(signature), data)
    except (InvalidSignature, ValueError, TypeError):
        return False
    return True


def fingerprint(public_pem: bytes) -> str:
    """SHA-256 of the public key PEM, hex."""
    return hashlib.sha256(public_pem).hexdigest()
