"""API keys (issue 22): Administrators' company keys, operators' service keys, and the
credential check every request with a key makes against the store (revocation is
effective on the next request, whichever process wrote it).

The secret itself never reaches this layer: the way in hashes it (api/api_keys.py) and
hands over its digest, which is all the store keeps.
"""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from eventsourcing.persistence import IntegrityError

from domain.api_key import ApiKey, Operators, key_name, principal
from domain.application.queries import Queries
from domain.application.retries import Receipt, command
from domain.base import Cause, caused_by
from domain.caller import Caller, Scope
from domain.errors import ConcurrentChange, NotFound
from domain.values import AccountKey, Role


@dataclass(frozen=True)
class KeyView:
    """A key as its list shows it: never its secret nor its digest."""

    key_id: str
    name: str
    role: str | None
    scope: str | None
    accounts: tuple[str, ...]
    created_by: str
    created_at: datetime
    last_used_at: str | None


class ApiKeys(Queries):
    """Creating, listing and revoking keys; finding the key a request presents."""

    @command
    def create_company_key(
        self,
        caller: Caller,
        company_id: UUID,
        *,
        key_id: str,
        name: str,
        role: Role,
        accounts: Iterable[AccountKey],
        digest: str,
    ) -> Receipt[str]:
        """R3, R4: an Administrator creates a key acting with `role` on `accounts`."""
        company = self._member_company(caller.as_person(), company_id)
        name = key_name(name)
        grants = [str(a) for a in accounts]
        company.create_api_key(caller.login, key_id, name, role, grants)
        key = ApiKey(key_id=key_id, holder=str(company_id), scope=None, name=name, digest=digest,
                     by=caller.login)  # fmt: skip
        return Receipt(self._save(company, key), key_id)

    @command
    def revoke_company_key(self, caller: Caller, company_id: UUID, key_id: str) -> Receipt[None]:
        """R3: an Administrator revokes one of the company's keys."""
        company = self._member_company(caller.as_person(), company_id)
        company.revoke_api_key(caller.login, key_id)
        key = self.api_key(key_id)
        key.withdraw()
        return Receipt(self._save(company, key), None)

    @command
    def create_operator_key(
        self, caller: Caller, key_id: str, scope: Scope, name: str, digest: str
    ) -> Receipt[str]:
        """An operator creates a key for a service principal (the `billing-center` command)."""
        operators = self._operators()
        name = key_name(name)
        operators.add_key(key_id, scope.value, name)
        key = ApiKey(key_id=key_id, holder="operators", scope=scope.value, name=name, digest=digest,
                     by=caller.login)  # fmt: skip
        return Receipt(self._save(operators, key), key_id)

    @command
    def revoke_operator_key(self, caller: Caller, key_id: str) -> Receipt[None]:  # noqa: ARG002
        """An operator revokes a service principal's key."""
        operators = self._operators()
        operators.revoke_key(key_id)
        key = self.api_key(key_id)
        key.withdraw()
        return Receipt(self._save(operators, key), None)

    def company_keys(self, company_id: UUID, administrator: str) -> list[KeyView]:
        """R3: the company's keys, for its Administrators."""
        company = self.read_company(company_id)
        company.require_key_administrator(administrator)
        found = []
        for key_id, meta in company.api_keys().items():
            key = self.api_key(key_id)
            accounts = tuple(company.grants.get(f"key:{key_id}", []))
            found.append(KeyView(key_id, meta["name"], meta["role"], None, accounts,
                                 key.created_by, key.created_on, key.last_used_at))  # fmt: skip
        return found

    def operator_keys(self) -> list[KeyView]:
        """The service principals' keys that are not revoked."""
        try:
            listed = self._operators().keys
        except NotFound:
            return []
        keys = [self.api_key(key_id) for key_id in listed]
        return [KeyView(k.key_id, k.name, None, k.scope, (), k.created_by, k.created_on,
                        k.last_used_at) for k in keys]  # fmt: skip

    def api_key(self, key_id: str) -> ApiKey:
        """A key by its id (32 hex digits), whoever asks."""
        try:
            aggregate_id = UUID(hex=key_id)
        except ValueError:
            raise NotFound("api key", key_id) from None
        return self._get(ApiKey, aggregate_id, "api key", key_id)

    def current_key(self, key_id: str) -> ApiKey:
        """A key as the store has it now (never a cached copy a revocation overtook)."""
        try:
            aggregate_id = UUID(hex=key_id)
        except ValueError:
            raise NotFound("api key", key_id) from None
        return self._key_copies.current(aggregate_id, self.repository.event_store, self._load_key)

    def note_key_use(self, key_id: str, at: datetime) -> None:
        """Record that a key was used; losing a race to a revocation loses only this note."""
        with caused_by(Cause(principal(key_id), "-")), suppress(IntegrityError, ConcurrentChange):
            key = self.api_key(key_id)
            key.note_use(at.isoformat())
            self._save(key)

    def _load_key(self, aggregate_id: UUID) -> ApiKey:
        return self._get(ApiKey, aggregate_id, "api key", aggregate_id.hex)

    def _operators(self) -> Operators:
        try:
            return self._get(Operators, Operators.create_id(), "operators", "operators")
        except NotFound:
            return Operators()
