"""R12: statement subscriptions, and closing the periods statements are sent for."""

from __future__ import annotations

from datetime import date

from domain.application.retries import Receipt, command
from domain.application.service import Service
from domain.caller import Caller, Scope
from domain.errors import ConcurrentChange, NotFound
from domain.statements import Frequency, Period, StatementPeriod, last_closed, period_id

CLOCK = Caller("statements", scope=Scope.BILLING_SYSTEM)
"""Who closes a period: the service's own clock, named so in the event."""


class Statements(Service):
    """Subscribe to statements; close each period once, whoever notices it first."""

    @command
    def subscribe_statement(self, caller: Caller, frequency: Frequency | None) -> Receipt[None]:
        """R12: the caller receives a statement weekly or monthly, or stops (None)."""
        user = self.user(caller.as_person())
        if user.company_id is None:
            raise NotFound("company of", caller.login)
        user.subscribe_statement(frequency)
        return Receipt(self._save(user), None)

    def close_statement_periods(self, today: date) -> list[str]:
        """R12: record the close of the last week and month ended before `today`, each at
        most once in the store; the periods closed now (none when another process did)."""
        closed = []
        for frequency in Frequency:
            period = last_closed(frequency, today)
            if period.name not in self._closed_periods and self._close(period):
                closed.append(period.name)
            self._closed_periods.add(period.name)
        return closed

    @property
    def _closed_periods(self) -> set[str]:
        """The periods this process knows are closed (no store read each time it asks)."""
        if not hasattr(self, "_statement_periods"):
            self._statement_periods: set[str] = set()
        return self._statement_periods

    def _close(self, period: Period) -> bool:
        if period_id(period.name) in self.repository:
            return False
        try:
            self._close_as_clock(CLOCK, period)
        except ConcurrentChange:
            return False  # another process closed it first: one close, ever
        return True

    @command
    def _close_as_clock(self, caller: Caller, period: Period) -> Receipt[None]:  # noqa: ARG002
        if period_id(period.name) in self.repository:
            return Receipt(self.head(), None)
        return Receipt(self._save(StatementPeriod.close(period)), None)
