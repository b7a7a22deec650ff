"""Who asks: a person (a login) or a service principal (a scope), and the request id."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from uuid import uuid4

from domain.base import Cause
from domain.errors import Forbidden


class Scope(StrEnum):
    """Service principals (DOMAIN.md, Who acts)."""

    BILLING_SYSTEM = "billing-system"
    AUDITOR = "auditor"


@dataclass(frozen=True)
class Caller:
    """The authenticated caller of one command."""

    login: str
    scope: Scope | None = None
    email: str = ""
    name: str = ""
    correlation_id: str = field(default_factory=lambda: uuid4().hex)

    @property
    def cause(self) -> Cause:
        """How the events of this caller's command name it."""
        actor = f"{self.scope.value}:{self.login}" if self.scope else self.login
        return Cause(actor=actor, correlation_id=self.correlation_id)

    def as_person(self) -> str:
        """The login of a person; service principals administer nothing."""
        if self.scope is not None:
            raise Forbidden("service principals do not act as company users", rule="R3")
        return self.login

    def require_scope(self, scope: Scope, rule: str) -> None:
        """Only the given service principal may do this."""
        if self.scope is not scope:
            raise Forbidden(f"only the {scope.value} principal may do this", rule=rule)
