"""Where an invoice stands for a company: history, archive, hidden, or never (A4, A6, I2).

An invoice is placed by when its delivery was recorded (I1, decision), expressed as its
position in the account's own event sequence: enrollments, unenrollments and deliveries
of one account are written one after another to the same aggregate, so "issued before,
while or after" has one exact answer, whatever the clocks say.
"""

from __future__ import annotations

from calendar import monthrange
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from itertools import pairwise

from domain.values import Section

HISTORY_MONTHS = 12
"""A7: the billing history shows the last twelve months."""


@dataclass(frozen=True)
class Interval:
    """A stretch of the account's sequence during which `company_id` held it enrolled."""

    company_id: str
    start: int
    end: int | None = None

    def holds(self, sequence: int) -> bool:
        """Whether the delivery at `sequence` fell inside this interval."""
        return self.start < sequence and (self.end is None or sequence < self.end)


def place(intervals: list[Interval], company_id: str, sequence: int) -> Section | None:
    """The section of an invoice delivered at `sequence`, for `company_id`; None: never (I2)."""
    for interval in intervals:
        if interval.holds(sequence):
            return Section.HISTORY if interval.company_id == company_id else None
    for before, after in pairwise(intervals):
        gap = before.end is not None and before.end < sequence < after.start
        if gap and before.company_id == after.company_id == company_id:
            return Section.ARCHIVE  # A6: closed by the company's re-enrollment
    last = intervals[-1] if intervals else None
    if last and last.company_id == company_id and last.end is not None and sequence > last.end:
        return Section.HIDDEN  # A6: until the company re-enrolls the account
    return None


def history_cutoff(today: date) -> date:
    """A7: invoices printed before this date have left the users' views."""
    month = today.month - HISTORY_MONTHS
    year = today.year + (month - 1) // 12
    month = (month - 1) % 12 + 1
    return date(year, month, min(today.day, monthrange(year, month)[1]))


def outstanding(status: str, balance: Decimal) -> bool:
    """A7, I3: whether something is still to pay on an invoice (not paid, a balance due):
    what keeps an old invoice in the users' views, and what aging and statements count."""
    return status != "PAID" and balance > 0


def in_window(issue_date: date, today: date, *, due: bool = False) -> bool:
    """A7: whether an invoice printed on `issue_date` is still in the users' views: printed
    in the last twelve months, or `due` (`outstanding`) whenever it was printed."""
    return due or issue_date > history_cutoff(today)
