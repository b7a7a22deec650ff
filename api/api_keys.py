"""API keys on the way in (issue 22): minting a secret, the digest the store keeps, and
the caller a presented key stands for.

A key reads `bck_<key_id>_<secret>`: the key id (32 hex digits) finds the key in the store
without any index, and only the SHA-256 digest of the whole key is kept, compared in
constant time (`hmac.compare_digest`, in `ApiKey.accepts`). Every request asks the store
for the key's newest events, so a revocation by any process counts on the next request.
`last_used_at` is written at most once a minute per key and process, never per request.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import threading
import time
from datetime import UTC, datetime

from api.identity import KEY_TOKEN_PREFIX, Unauthenticated, correlation_id
from domain.api_key import principal
from domain.application import BillingCenter
from domain.caller import Caller, Scope
from domain.errors import NotFound

USE_NOTE_SECONDS = 60.0
"""A key's `last_used_at` is written at most this often (per process)."""
_KEY = re.compile(r"^bck_([0-9a-f]{32})_([A-Za-z0-9_-]{43})$")


def mint(key_id: str) -> str:
    """A new key's whole text (shown once), for the key id the store will know it by."""
    return f"{KEY_TOKEN_PREFIX}{key_id}_{secrets.token_urlsafe(32)}"


def digest(key: str) -> str:
    """What the store keeps of a key: its SHA-256, hex."""
    return hashlib.sha256(key.encode()).hexdigest()


def new_key() -> tuple[str, str]:
    """A key id and the key's text; the store gets the id and the digest only."""
    key_id = secrets.token_hex(16)
    return key_id, mint(key_id)


class UseNotes:
    """When each key's use was last written, so it is written at most once a minute."""

    def __init__(self, every: float = USE_NOTE_SECONDS) -> None:
        self._every = every
        self._last: dict[str, float] = {}
        self._lock = threading.Lock()

    def due(self, key_id: str, now: float) -> bool:
        with self._lock:
            if now - self._last.get(key_id, float("-inf")) < self._every:
                return False
            self._last[key_id] = now
            return True


class KeyVerifier:
    """The caller a presented API key stands for, or Unauthenticated (401)."""

    def __init__(self, center: BillingCenter, notes: UseNotes | None = None) -> None:
        self._center = center
        self._notes = notes or UseNotes()

    def __call__(self, token: str, request_id: str | None = None) -> Caller:
        found = _KEY.fullmatch(token)
        if found is None:
            raise Unauthenticated("the API key is malformed")
        key_id = found.group(1)
        try:
            key = self._center.current_key(key_id)
        except NotFound:
            raise Unauthenticated("the API key is invalid or revoked") from None
        if not key.accepts(digest(token)):
            raise Unauthenticated("the API key is invalid or revoked")
        if self._notes.due(key_id, time.monotonic()):
            self._center.note_key_use(key_id, datetime.now(UTC))
        scope = Scope(key.scope) if key.scope else None
        return Caller(principal(key_id), scope=scope, correlation_id=correlation_id(request_id))
