"""R12: statement periods close once, whoever notices, and are named the same way always."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.errors import InvalidInput
from domain.statements import Frequency, last_closed, month, period_id, period_named
from domain.values import Role
from tests.builders import ACCOUNT, a_company, add_user, billing_center, person


def test_r12_months_and_weeks_are_named_and_bounded() -> None:
    november = month("2026-11")
    assert (november.start, november.end) == (date(2026, 11, 1), date(2026, 11, 30))
    assert period_named("2026-W49").start == date(2026, 11, 30)  # a Monday
    assert period_named("2026-W49").end == date(2026, 12, 6)
    assert last_closed(Frequency.MONTHLY, date(2026, 12, 5)).name == "2026-11"
    assert last_closed(Frequency.WEEKLY, date(2026, 12, 5)).name == "2026-W48"
    for bad in ("2026-13", "2026-00", "1999-12", "2026-1", "2026/11"):
        with pytest.raises(InvalidInput):
            month(bad)


@given(
    st.dates(min_value=date(2001, 1, 1), max_value=date(2099, 12, 31)), st.sampled_from(Frequency)
)
def test_r12_the_last_closed_period_ended_before_today_and_reads_back(
    today: date, frequency: Frequency
) -> None:
    period = last_closed(frequency, today)
    assert period.start <= period.end < today
    assert period_named(period.name) == period
    following = last_closed(frequency, period.end + timedelta(days=1))
    assert following == period  # the day after it ends, it is the one that just closed


def test_r12_a_period_closes_once_in_the_store() -> None:
    app = billing_center()
    today = date(2026, 12, 5)
    assert app.close_statement_periods(today) == ["2026-W48", "2026-11"]
    head = app.head()
    assert app.close_statement_periods(today) == []
    other = billing_center()  # another process on the same store would find them closed too
    assert other.close_statement_periods(today) == ["2026-W48", "2026-11"]  # its own store
    assert app.head() == head
    assert period_id("2026-11") in app.repository


def test_r12_leaving_the_company_ends_the_subscription() -> None:
    app, company = a_company()
    add_user(app, company, "bob", Role.VIEW_ONLY, (ACCOUNT,))
    app.subscribe_statement(person("bob"), Frequency.WEEKLY)
    assert app.user("bob").statement_frequency is Frequency.WEEKLY
    app.remove_user(person("alice"), company, "bob", confirmed=True)
    assert app.user("bob").statement_frequency is None
