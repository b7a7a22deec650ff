"""Statements (R12): the open invoices a member may see, with aging, once a period.

A period is a calendar month (`2026-11`) or an ISO week (`2026-W48`). It closes when it
ends; closing is an event of its own (`StatementPeriodClosed`, on an aggregate whose id
is derived from the period), so each period closes once in the store, whoever notices
first, and the outbox turns that one event into one e-mail per subscriber: exactly one
per period and subscriber, even after a restart or a rebuild (the outbox rows' key).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import event

from domain.base import BillingAggregate
from domain.errors import InvalidInput

_MONTH = re.compile(r"(\d{4})-(\d{2})")


class Frequency(StrEnum):
    """How often a subscriber receives a statement (R12)."""

    WEEKLY = "WEEKLY"
    MONTHLY = "MONTHLY"


@dataclass(frozen=True)
class Period:
    """A statement's period: its name, frequency and first and last days."""

    name: str
    frequency: Frequency
    start: date
    end: date


def month(name: str) -> Period:
    """The month `YYYY-MM` (InvalidInput naming `period` otherwise, R12)."""
    found = _MONTH.fullmatch(name)
    if not found or not 2000 <= int(found[1]) <= 2099 or not 1 <= int(found[2]) <= 12:  # noqa: PLR2004
        raise InvalidInput("period", "a month YYYY-MM from 2000-01 to 2099-12", rule="R12")
    start = date(int(found[1]), int(found[2]), 1)
    end = (start + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    return Period(name, Frequency.MONTHLY, start, end)


def period_named(name: str) -> Period:
    """A period by its name: `YYYY-MM` or an ISO week `YYYY-Www`."""
    if "-W" not in name:
        return month(name)
    start = date.fromisocalendar(int(name[:4]), int(name[6:]), 1)
    return Period(name, Frequency.WEEKLY, start, start + timedelta(days=6))


def last_closed(frequency: Frequency, today: date) -> Period:
    """The latest period of `frequency` that ended before `today`."""
    if frequency is Frequency.MONTHLY:
        end = today.replace(day=1) - timedelta(days=1)
        return month(f"{end.year:04d}-{end.month:02d}")
    start = today - timedelta(days=today.weekday() + 7)  # Monday of last week
    year, week, _ = start.isocalendar()
    return Period(f"{year:04d}-W{week:02d}", Frequency.WEEKLY, start, start + timedelta(days=6))


def period_id(name: str) -> UUID:
    """The StatementPeriod aggregate id of a period: one per period, ever."""
    return uuid5(NAMESPACE_URL, f"billing-center:statement-period:{name}")


class StatementPeriod(BillingAggregate):
    """A period that has closed: statements for it are due to its subscribers (R12)."""

    @staticmethod
    def create_id(period: str) -> UUID:
        """Derived from the period: a second close is refused by the store itself."""
        return period_id(period)

    @event("StatementPeriodClosed")
    def __init__(self, period: str, frequency: str, start: str, end: str) -> None:
        self.period = period
        self.frequency = frequency
        self.start = start
        self.end = end

    @classmethod
    def close(cls, period: Period) -> StatementPeriod:
        """R12: the period ended; its statements are due."""
        return cls(
            period=period.name,
            frequency=period.frequency.value,
            start=period.start.isoformat(),
            end=period.end.isoformat(),
        )
