"""I6 with R4, A4-A7: an automatic payment pays only what its user may see and pay now,
and printed dates stay in the range the service documents (issue 17)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from uuid import UUID

import pytest

from domain.application import BillingCenter
from domain.bills import FIRST_DAY, LAST_DAY
from domain.errors import InvalidInput
from domain.values import Role
from tests.builders import (
    ACCOUNT,
    ADMIN,
    TODAY,
    add_payment_method,
    add_user,
    bill,
    billing_center,
    enrolled_company,
    issue,
    person,
)


def _autopaying(app: BillingCenter) -> UUID:
    """bob (VIEW_PAY on ACCOUNT) pays ACCOUNT automatically, 3 days before the due date."""
    company = enrolled_company(app)
    add_payment_method(app, company)
    add_user(app, company, "bob", Role.VIEW_PAY, (ACCOUNT,))
    app.set_up_autopay(person("bob"), company, ACCOUNT, 3)
    return company


@pytest.mark.parametrize(
    ("issued", "due"),
    [
        (date(1, 1, 1), date(1, 1, 2)),
        (FIRST_DAY - timedelta(days=1), TODAY),
        (TODAY, LAST_DAY + timedelta(days=1)),
        (TODAY, date(9999, 12, 31)),
    ],
)
def test_i1_printed_dates_outside_the_documented_range_are_refused(issued: date, due: date) -> None:
    with pytest.raises(InvalidInput) as caught:
        replace(bill(), issue_date=issued, due_date=due)
    assert caught.value.rule_id == "I1"


def test_i1_the_range_ends_are_accepted() -> None:
    replace(bill(), issue_date=FIRST_DAY, due_date=LAST_DAY)


def test_i6_an_unpaid_invoice_printed_before_a7s_window_is_paid_automatically_today() -> None:
    """A7: an invoice still due stays in its user's views however old, so the automatic
    payment that covers it pays it (overdue: today, I3)."""
    app = billing_center()
    _autopaying(app)
    old = TODAY - timedelta(days=800)
    invoice = issue(app, bill(ACCOUNT, "OLD-1", issued=old, due=old + timedelta(days=30)))
    assert [(p["paid_by"], p["pay_on"]) for p in app.invoice(invoice).payments] == [
        ("bob", TODAY.isoformat())
    ]


def test_i6_an_early_due_date_never_overflows_the_automatic_payment() -> None:
    app = billing_center()
    _autopaying(app)
    invoice = issue(app, bill(ACCOUNT, "EARLY-1", issued=FIRST_DAY, due=FIRST_DAY))
    assert [p["pay_on"] for p in app.invoice(invoice).payments] == [TODAY.isoformat()]


def test_i6_a_user_who_lost_the_account_without_a_cancellation_pays_nothing() -> None:
    """R4: a store written before I6's cancellation existed may still hold such a plan."""
    app = billing_center()
    company_id = _autopaying(app)
    company = app.company(company_id)
    company.set_accounts(ADMIN, "bob", [])  # the aggregate alone: no cancellation recorded
    app.save(company)
    assert app.account(ACCOUNT).autopay is not None
    invoice = issue(app, bill(ACCOUNT, "INV-9", issued=TODAY, due=TODAY + timedelta(days=30)))
    assert app.invoice(invoice).payments == []


def test_i6_a_user_who_may_no_longer_pay_without_a_cancellation_pays_nothing() -> None:
    app = billing_center()
    company_id = _autopaying(app)
    company = app.company(company_id)
    company.change_role(ADMIN, "bob", Role.VIEW_ONLY)  # the aggregate alone, as above
    app.save(company)
    invoice = issue(app, bill(ACCOUNT, "INV-9", issued=TODAY, due=TODAY + timedelta(days=30)))
    assert app.invoice(invoice).payments == []


def test_i6_a_removed_user_without_a_cancellation_pays_nothing() -> None:
    app = billing_center()
    company_id = _autopaying(app)
    company = app.company(company_id)
    company.remove_user(ADMIN, "bob", confirmed=True)  # the aggregate alone, as above
    app.save(company)
    invoice = issue(app, bill(ACCOUNT, "INV-9", issued=TODAY, due=TODAY + timedelta(days=30)))
    assert app.invoice(invoice).payments == []


def test_i6_a_visible_payable_invoice_is_still_paid_automatically() -> None:
    app = billing_center()
    _autopaying(app)
    invoice = issue(app, bill(ACCOUNT, "INV-9", issued=TODAY, due=TODAY + timedelta(days=30)))
    assert [p["paid_by"] for p in app.invoice(invoice).payments] == ["bob"]
