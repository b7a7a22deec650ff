"""API keys (issue 22): the credential of an integration or of an operator's service.

A key is its own aggregate, `ApiKey`, whose id is the key id: it keeps who holds it (a
company, or the operators for the `billing-system` and `auditor` principals), the digest of
its secret (never the secret), whether it is revoked and when it was last used. A company
key acts as the principal `key:<key_id>`; its role and grants live in the Company aggregate
(`Company.create_api_key`), so the one access answer of R4 covers it like any user. The
operators' keys are listed by the `Operators` aggregate, one for the whole service.
"""

from __future__ import annotations

import hmac
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import event

from domain.base import BillingAggregate
from domain.errors import NotFound
from domain.text import RESERVED_LOGIN_PREFIX, FreeText

KEY_PREFIX = RESERVED_LOGIN_PREFIX
"""How a key names itself as a principal; no login may start with it (domain/text.py)."""
OPERATORS_ID = uuid5(NAMESPACE_URL, "billing-center:operators")
"""The one Operators aggregate."""
KEY_NAME_LIMIT = 100


def principal(key_id: str) -> str:
    """The principal a key acts as."""
    return f"{KEY_PREFIX}{key_id}"


def is_key_principal(login: str) -> bool:
    """Whether `login` names a key rather than a person."""
    return login.startswith(KEY_PREFIX)


KEY_NAME = FreeText("name", KEY_NAME_LIMIT, rule="R3")
"""A key's label, under the text rule of every free-text field (API.md, Values)."""


def key_name(name: str) -> str:
    """A key's label: 1 to 100 characters of one line, NFC, without controls or overrides."""
    return KEY_NAME(name)


class ApiKey(BillingAggregate):
    """One key: its holder, its scope (operators' keys), its secret's digest, revoked or not."""

    @staticmethod
    def create_id(key_id: str, **_: object) -> UUID:
        """The key id is the aggregate's id (the way in mints it, the token carries it)."""
        return UUID(hex=key_id)

    @event("ApiKeyIssued")
    def __init__(
        self, *, key_id: str, holder: str, scope: str | None, name: str, digest: str, by: str
    ) -> None:
        del key_id  # the aggregate's id (create_id); `key_id` reads it back
        self.holder = holder
        self.scope = scope
        self.name = name
        self.digest = digest
        self.created_by = by
        self.revoked = False
        self.last_used_at: str | None = None

    @property
    def key_id(self) -> str:
        """The key's id, as its principal and its token name it."""
        return self.id.hex

    def accepts(self, digest: str) -> bool:
        """Whether `digest` is this key's, compared in constant time, and it is not revoked."""
        matches = hmac.compare_digest(self.digest.encode(), digest.encode())
        return matches and not self.revoked

    def withdraw(self) -> None:
        """Refuse the key from the next request on."""
        if not self.revoked:
            self._withdrawn()

    @event("ApiKeyWithdrawn")
    def _withdrawn(self) -> None:
        self.revoked = True

    def note_use(self, at: str) -> None:
        """Remember when the key was last used (the caller writes at most once a minute)."""
        self._used(at=at)

    @event("ApiKeyUsed")
    def _used(self, at: str) -> None:
        self.last_used_at = at


class Operators(BillingAggregate):
    """The keys of the service principals (`billing-system`, `auditor`) operators created."""

    @staticmethod
    def create_id() -> UUID:
        return OPERATORS_ID

    @event("OperatorsRegistered")
    def __init__(self) -> None:
        self.keys: dict[str, dict[str, str]] = {}

    def add_key(self, key_id: str, scope: str, name: str) -> None:
        """List an operator key."""
        self._key_added(key_id=key_id, scope=scope, name=name)

    @event("OperatorKeyCreated")
    def _key_added(self, key_id: str, scope: str, name: str) -> None:
        self.keys[key_id] = {"scope": scope, "name": name}

    def revoke_key(self, key_id: str) -> None:
        """Unlist an operator key (the ApiKey itself is withdrawn beside it)."""
        if key_id not in self.keys:
            raise NotFound("api key", key_id)
        self._key_revoked(key_id=key_id)

    @event("OperatorKeyRevoked")
    def _key_revoked(self, key_id: str) -> None:
        del self.keys[key_id]
