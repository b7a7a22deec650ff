"""I1-I4, I6, I7: issuing, paying, adjusting, paying automatically, attaching documents."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from decimal import Decimal
from uuid import UUID

import pytest

from domain.application import BillingCenter
from domain.enrollment import account_id
from domain.errors import (
    AdjustmentAlreadyDecided,
    AdjustmentAlreadyOpen,
    AlreadyPaid,
    Forbidden,
    InvalidInput,
    InvoiceNumberTaken,
    NoPaymentMethod,
    NotFound,
)
from domain.invoice import Line
from domain.values import InvoiceStatus, Role
from tests.builders import (
    ACCOUNT,
    ADMIN,
    BILLING,
    OTHER_ACCOUNT,
    TODAY,
    FixedClock,
    a_company,
    add_payment_method,
    add_user,
    an_invoice,
    bill,
    billing_center,
    enrolled_company,
    event_names,
    issue,
    person,
    proven,
    refused,
    unenroll,
)

SHA = "ab" * 32


def test_only_the_billing_system_issues_invoices() -> None:
    """I1: a person cannot issue an invoice."""
    app = billing_center()
    enrolled_company(app)
    with refused(app, Forbidden, "I1"):
        app.issue_invoice(person(ADMIN), bill(ACCOUNT, "INV-1"))


def test_an_invoice_number_is_unique_per_account() -> None:
    """I1: a second invoice with the same number for the same account is refused."""
    app = billing_center()
    issue(app, bill(ACCOUNT, "INV-1"))
    with refused(app, InvoiceNumberTaken, "I1"):
        issue(app, bill(ACCOUNT, "INV-1", amount="5.00"))


def test_another_account_may_use_the_same_invoice_number() -> None:
    """I1: invoice numbers are unique per account, not globally."""
    app = billing_center()
    first = issue(app, bill(ACCOUNT, "INV-1"))
    assert issue(app, bill(OTHER_ACCOUNT, "INV-1")) != first


def test_invoice_lines_must_add_up_to_the_amount() -> None:
    """I1: the lines add up to the amount."""
    good = bill(ACCOUNT, "INV-1")
    with pytest.raises(InvalidInput) as caught:
        replace(good, lines=(Line("TRK-1", "Ground parcel", Decimal("1.00")),))
    assert caught.value.rule_id == "I1"


def test_invoices_from_before_the_first_enrollment_are_never_visible() -> None:
    """I2: the proving invoice, issued before the enrollment, never shows."""
    app = billing_center()
    early = issue(app, bill(ACCOUNT, "EARLY-1"))
    app.enroll_company(person(ADMIN), "Acme", [proven(app, ACCOUNT, "PROOF-1")])
    with pytest.raises(NotFound):
        app.visible_invoice(ADMIN, early)


def test_invoices_issued_while_held_by_another_company_are_never_visible() -> None:
    """I2: what another company received stays with it."""
    app = billing_center()
    first = enrolled_company(app)
    theirs = issue(app, bill(ACCOUNT, "INV-1"))
    unenroll(app, first)
    second = enrolled_company(app, "zoe", (OTHER_ACCOUNT,), "PROOF-2")
    app.add_account(person("zoe"), second, proven(app, ACCOUNT, "PROOF-3"))
    with pytest.raises(NotFound):
        app.visible_invoice("zoe", theirs)


def test_paying_today_settles_the_whole_balance_with_a_confirmation() -> None:
    """I3: a payment settles the whole balance and gets a confirmation number."""
    app, company = a_company()
    add_payment_method(app, company)
    invoice = issue(app, bill(ACCOUNT, "INV-1"))
    payment = app.pay_invoice(person(ADMIN), invoice).result
    paid = app.invoice(invoice)
    assert (paid.status, paid.balance) == (InvoiceStatus.PAID, Decimal(0))
    assert payment.confirmation_number


def test_paying_on_a_later_date_up_to_the_due_date_schedules_the_payment() -> None:
    """I3: a date from today up to the due date schedules the payment."""
    app, company = a_company()
    add_payment_method(app, company)
    invoice = issue(app, bill(ACCOUNT, "INV-1", due=TODAY + timedelta(days=5)))
    app.pay_invoice(person(ADMIN), invoice, TODAY + timedelta(days=5))
    assert app.invoice(invoice).status is InvoiceStatus.PAYMENT_SCHEDULED


def test_paying_after_the_due_date_is_refused() -> None:
    """I3: the payment date is at most the due date."""
    app, company = a_company()
    add_payment_method(app, company)
    invoice = issue(app, bill(ACCOUNT, "INV-1", due=TODAY + timedelta(days=5)))
    with refused(app, InvalidInput, "I3"):
        app.pay_invoice(person(ADMIN), invoice, TODAY + timedelta(days=6))


def test_paying_on_a_past_date_is_refused() -> None:
    """I3: the payment date is today at the earliest."""
    app, company = a_company()
    add_payment_method(app, company)
    invoice = issue(app, bill(ACCOUNT, "INV-1"))
    with refused(app, InvalidInput, "I3"):
        app.pay_invoice(person(ADMIN), invoice, TODAY - timedelta(days=1))


def overdue_by_three_days() -> tuple[BillingCenter, FixedClock, UUID]:
    """INV-1 of a company that can pay (R11), due TODAY, and the clock three days later."""
    clock = FixedClock()
    app = billing_center(clock=clock)
    add_payment_method(app, enrolled_company(app))
    invoice = issue(app, bill(ACCOUNT, "INV-1", due=TODAY))
    clock.advance(3)
    return app, clock, invoice


def test_an_overdue_invoice_is_paid_today_only() -> None:
    """I3: past its due date, an invoice can be paid today and on no later date."""
    app, clock, invoice = overdue_by_three_days()
    with refused(app, InvalidInput, "I3"):
        app.pay_invoice(person(ADMIN), invoice, clock.now.date() + timedelta(days=1))


def test_an_overdue_invoice_can_still_be_paid_today() -> None:
    """I3: an overdue invoice is paid on the day itself."""
    app, _, invoice = overdue_by_three_days()
    app.pay_invoice(person(ADMIN), invoice)
    assert app.invoice(invoice).status is InvoiceStatus.PAID


def test_an_invoice_with_a_scheduled_payment_cannot_be_paid_again() -> None:
    """I3: a payment made or scheduled blocks a second one."""
    app, company = a_company()
    add_payment_method(app, company)
    invoice = issue(app, bill(ACCOUNT, "INV-1", due=TODAY + timedelta(days=5)))
    app.pay_invoice(person(ADMIN), invoice, TODAY + timedelta(days=2))
    with refused(app, AlreadyPaid, "I3"):
        app.pay_invoice(person(ADMIN), invoice)


def test_paying_without_a_payment_method_is_refused() -> None:
    """I3: with no payment method, paying is refused (R11)."""
    app, invoice = an_invoice()
    with refused(app, NoPaymentMethod, "R11"):
        app.pay_invoice(person(ADMIN), invoice)


def test_a_user_whose_role_does_not_pay_cannot_pay() -> None:
    """I3: a VIEW_ADJUST user sees the invoice but may not pay it."""
    app, company = a_company()
    add_payment_method(app, company)
    add_user(app, company, "bob", Role.VIEW_ADJUST, (ACCOUNT,))
    invoice = issue(app, bill(ACCOUNT, "INV-1"))
    with refused(app, Forbidden, "I3"):
        app.pay_invoice(person("bob"), invoice)


@pytest.mark.parametrize(
    ("tracking", "amount"),
    [("TRK-1", "60.01"), ("TRK-9", "1.00")],
    ids=["above its line", "a line not on the invoice"],
)
def test_an_adjustment_is_refused_beyond_the_lines_of_the_invoice(
    tracking: str, amount: str
) -> None:
    """I4: disputed lines are named by tracking numbers of the invoice, each asked at most
    its amount (TRK-1 is 60.00)."""
    app, invoice = an_invoice()
    with refused(app, InvalidInput, "I4"):
        app.request_adjustment(person(ADMIN), invoice, "damaged", {tracking: Decimal(amount)})


def test_an_adjustment_of_a_whole_line_is_accepted() -> None:
    """I4: the amount may be the whole line."""
    app, invoice = an_invoice()
    app.request_adjustment(person(ADMIN), invoice, "lost", {"TRK-1": Decimal("60.00")})
    assert len(app.invoice(invoice).adjustments) == 1


def test_an_open_request_on_a_line_blocks_a_second() -> None:
    """I4: one open request per line."""
    app, invoice = an_invoice()
    app.request_adjustment(person(ADMIN), invoice, "damaged", {"TRK-1": Decimal("10.00")})
    with refused(app, AdjustmentAlreadyOpen, "I4"):
        app.request_adjustment(person(ADMIN), invoice, "again", {"TRK-1": Decimal("5.00")})


def test_an_approved_adjustment_credits_the_balance() -> None:
    """I4: an approval credits the invoice's balance with the amounts asked."""
    app, invoice = an_invoice()
    asked = {"TRK-1": Decimal("10.00"), "TRK-2": Decimal("2.50")}
    adjustment = app.request_adjustment(person(ADMIN), invoice, "damaged", asked).result
    app.decide_adjustment(BILLING, invoice, adjustment, approved=True)
    assert app.invoice(invoice).balance == Decimal("87.50")


def test_a_rejected_adjustment_credits_nothing_and_frees_the_line() -> None:
    """I4: a rejection leaves the balance and closes the request."""
    app, invoice = an_invoice()
    asked = {"TRK-1": Decimal("10.00")}
    adjustment = app.request_adjustment(person(ADMIN), invoice, "damaged", asked).result
    app.decide_adjustment(BILLING, invoice, adjustment, approved=False, comment="no damage")
    app.request_adjustment(person(ADMIN), invoice, "again", asked)
    assert app.invoice(invoice).balance == Decimal("100.00")


def test_a_decided_adjustment_is_not_decided_again() -> None:
    """I4: the billing system decides a request once."""
    app, invoice = an_invoice()
    asked = {"TRK-1": Decimal("10.00")}
    adjustment = app.request_adjustment(person(ADMIN), invoice, "damaged", asked).result
    app.decide_adjustment(BILLING, invoice, adjustment, approved=True)
    with refused(app, AdjustmentAlreadyDecided, "I4"):
        app.decide_adjustment(BILLING, invoice, adjustment, approved=True)


def test_only_the_billing_system_decides_adjustments() -> None:
    """I4: a person cannot approve its own request."""
    app, invoice = an_invoice()
    asked = {"TRK-1": Decimal("10.00")}
    adjustment = app.request_adjustment(person(ADMIN), invoice, "damaged", asked).result
    with refused(app, Forbidden, "I4"):
        app.decide_adjustment(person(ADMIN), invoice, adjustment, approved=True)


def test_a_user_whose_role_does_not_adjust_cannot_request_an_adjustment() -> None:
    """I4: a VIEW_PAY user may not request adjustments."""
    app, company = a_company()
    add_user(app, company, "bob", Role.VIEW_PAY, (ACCOUNT,))
    invoice = issue(app, bill(ACCOUNT, "INV-1"))
    with refused(app, Forbidden, "I4"):
        app.request_adjustment(person("bob"), invoice, "no", {"TRK-1": Decimal("1.00")})


def autopaying_company(app: BillingCenter) -> UUID:
    """A company where bob (VIEW_PAY on ACCOUNT) pays ACCOUNT automatically."""
    company = enrolled_company(app)
    add_payment_method(app, company)
    add_user(app, company, "bob", Role.VIEW_PAY, (ACCOUNT,))
    app.set_up_autopay(person("bob"), company, ACCOUNT, 3)
    return company


def test_an_automatic_payment_schedules_a_new_invoice_exactly_once() -> None:
    """I6: an invoice issued after the set-up is scheduled once, recording its user."""
    app = billing_center()
    autopaying_company(app)
    invoice = issue(app, bill(ACCOUNT, "INV-1", issued=TODAY, due=TODAY + timedelta(days=30)))
    payments = app.invoice(invoice).payments
    assert [(p["paid_by"], p["automatic"]) for p in payments] == [("bob", True)]
    assert payments[0]["pay_on"] == (TODAY + timedelta(days=27)).isoformat()
    assert event_names(app, invoice).count("PaymentScheduled") == 1


def test_an_automatic_payment_does_not_cover_earlier_invoices() -> None:
    """I6: it covers invoices issued after it was set up."""
    app, company = a_company()
    add_payment_method(app, company)
    earlier = issue(app, bill(ACCOUNT, "INV-1"))
    app.set_up_autopay(person(ADMIN), company, ACCOUNT, 3)
    assert app.invoice(earlier).payments == []


def test_an_automatic_payment_covers_nothing_while_the_account_is_unenrolled() -> None:
    """I6: it covers invoices issued while the account is enrolled."""
    app = billing_center()
    company = autopaying_company(app)
    unenroll(app, company)
    paper = issue(app, bill(ACCOUNT, "PAPER-1"))
    assert app.invoice(paper).payments == []


def test_removing_its_user_cancels_the_automatic_payment() -> None:
    """I6: the automatic payment ends, recorded, when its user is removed."""
    app = billing_center()
    company = autopaying_company(app)
    app.remove_user(person(ADMIN), company, "bob", confirmed=True)
    assert app.account(ACCOUNT).autopay is None
    assert event_names(app, account_id(ACCOUNT))[-1] == "AutomaticPaymentCancelled"


def test_demoting_its_user_cancels_the_automatic_payment() -> None:
    """I6: a user who may no longer pay loses its automatic payment."""
    app = billing_center()
    company = autopaying_company(app)
    app.change_role(person(ADMIN), company, "bob", Role.VIEW_ONLY)
    assert app.account(ACCOUNT).autopay is None


def test_revoking_its_user_access_cancels_the_automatic_payment() -> None:
    """I6: a user no longer granted the account loses its automatic payment."""
    app = billing_center()
    company = autopaying_company(app)
    app.set_user_accounts(person(ADMIN), company, "bob", [])
    assert app.account(ACCOUNT).autopay is None


def test_a_role_change_that_keeps_paying_keeps_the_automatic_payment() -> None:
    """I6: only losing the right to pay cancels it."""
    app = billing_center()
    company = autopaying_company(app)
    app.change_role(person(ADMIN), company, "bob", Role.VIEW_PAY_ADJUST)
    assert app.account(ACCOUNT).autopay is not None


def test_the_billing_system_attaches_documents_viewers_can_reach() -> None:
    """I7: whoever may see the invoice may download its documents."""
    app, company = a_company()
    add_user(app, company, "bob", Role.VIEW_ONLY, (ACCOUNT,))
    invoice = issue(app, bill(ACCOUNT, "INV-1"))
    app.attach_document(BILLING, invoice, SHA, "brokerage.pdf", 1024)
    documents = app.visible_invoice("bob", invoice).invoice.documents
    assert [d["filename"] for d in documents] == ["brokerage.pdf"]


def test_only_the_billing_system_attaches_documents() -> None:
    """I7: a person cannot attach a document."""
    app, invoice = an_invoice()
    with refused(app, Forbidden, "I7"):
        app.attach_document(person(ADMIN), invoice, SHA, "brokerage.pdf", 1024)


def test_documents_of_an_invoice_a_user_cannot_see_are_out_of_reach() -> None:
    """I7: a user not granted the account does not reach the invoice or its documents."""
    app = billing_center()
    company = enrolled_company(app, accounts=(ACCOUNT, OTHER_ACCOUNT))
    add_user(app, company, "bob", Role.VIEW_ONLY, (OTHER_ACCOUNT,))
    invoice = issue(app, bill(ACCOUNT, "INV-1"))
    app.attach_document(BILLING, invoice, SHA, "brokerage.pdf", 1024)
    with pytest.raises(NotFound):
        app.visible_invoice("bob", invoice)


def test_approved_credits_never_exceed_a_line_over_several_requests() -> None:
    """I4 (decision): once a line is credited in full, a new request on it is refused."""
    app, invoice = an_invoice()
    line = app.invoice(invoice).lines[0]
    whole = {line["tracking_number"]: line["amount"]}
    adjustment = app.request_adjustment(person(ADMIN), invoice, "damaged", whole).result
    app.decide_adjustment(BILLING, invoice, adjustment, approved=True)
    with pytest.raises(InvalidInput) as refused:
        app.request_adjustment(
            person(ADMIN), invoice, "again", {line["tracking_number"]: Decimal("0.01")}
        )
    assert refused.value.rule_id == "I4"
