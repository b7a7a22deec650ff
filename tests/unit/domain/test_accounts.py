"""A1-A7: adding, holding, unenrolling and re-enrolling accounts, and what each period shows."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal
from uuid import UUID

import pytest

from domain.application import BillingCenter
from domain.enrollment import account_id
from domain.errors import (
    AccountAlreadyEnrolled,
    AccountAlreadyInCompany,
    AccountHeldElsewhere,
    AccountNotEnrolled,
    AccountTakenOver,
    ArchiveReadOnly,
    CommentRequired,
    Forbidden,
    InvalidInput,
    NoRecentInvoice,
    NotFound,
    ProofMismatch,
)
from domain.values import AccountType, LineOfBusiness, Role, Section, UnenrollmentReason
from tests.builders import (
    ACCOUNT,
    ADMIN,
    OTHER_ACCOUNT,
    THIRD_ACCOUNT,
    TODAY,
    FixedClock,
    a_company,
    add_payment_method,
    add_user,
    bill,
    billed_on_paper,
    billing_center,
    enrolled_company,
    issue,
    person,
    proven,
    reenroll,
    refused,
    request,
    unenroll,
)

OTHER = UnenrollmentReason.OTHER


def test_a_proof_mismatch_says_the_same_whatever_field_is_wrong() -> None:
    """A1: a wrong proof is refused without saying which field was wrong."""
    app = billing_center()
    good = proven(app, ACCOUNT)
    wrong_proofs = [
        replace(good.proof, invoice_number="PROOF-9"),
        replace(good.proof, invoice_date=good.proof.invoice_date - timedelta(days=1)),
        replace(good.proof, amount=Decimal("1.00")),
        replace(good.proof, control_id="CTRL-9"),
    ]
    details = set()
    for proof in wrong_proofs:
        with refused(app, ProofMismatch, "A1") as caught:
            app.enroll_company(person(ADMIN), "Acme", [replace(good, proof=proof)])
        details.add(caught.value.detail)
    assert len(details) == 1


def test_an_account_without_an_invoice_in_the_last_45_days_cannot_be_added() -> None:
    """A1: no invoice issued at most 45 days ago: the error says so."""
    app = billing_center()
    old = bill(ACCOUNT, "OLD-1", issued=TODAY - timedelta(days=46))
    issue(app, old)
    with refused(app, NoRecentInvoice, "A1"):
        app.enroll_company(person(ADMIN), "Acme", [request(old)])


def test_an_invoice_issued_45_days_ago_still_proves_the_account() -> None:
    """A1: at most 45 days ago includes the 45th day."""
    app = billing_center()
    edge = bill(ACCOUNT, "EDGE-1", issued=TODAY - timedelta(days=45))
    issue(app, edge)
    app.enroll_company(person(ADMIN), "Acme", [request(edge)])
    assert app.account(ACCOUNT).enrolled


def test_an_account_the_billing_system_never_billed_cannot_be_added() -> None:
    """A1: an unknown account has no invoice to prove it with."""
    app = billing_center()
    with refused(app, NoRecentInvoice, "A1"):
        app.enroll_company(person(ADMIN), "Acme", [request(bill(ACCOUNT))])


def test_only_the_three_latest_invoices_prove_an_account() -> None:
    """A1: a recent invoice older than the three latest no longer proves the account."""
    app = billing_center()
    oldest = bill(ACCOUNT, "INV-0", issued=TODAY - timedelta(days=20))
    issue(app, oldest)
    for day in (3, 2, 1):
        issue(app, bill(ACCOUNT, f"INV-{day}", issued=TODAY - timedelta(days=day)))
    with refused(app, ProofMismatch, "A1"):
        app.enroll_company(person(ADMIN), "Acme", [request(oldest)])


def test_a_package_account_needs_an_account_type() -> None:
    """A1: PACKAGE accounts say INDIVIDUAL or CONSOLIDATED_PAYMENT_PLAN."""
    app = billing_center()
    untyped = replace(proven(app, ACCOUNT), account_type=None)
    with refused(app, InvalidInput, "A1"):
        app.enroll_company(person(ADMIN), "Acme", [untyped])


def test_a_freight_account_takes_no_account_type() -> None:
    """A1: an account type is refused outside PACKAGE."""
    app = billing_center()
    typed = replace(
        proven(app, ACCOUNT),
        line_of_business=LineOfBusiness.FREIGHT,
        account_type=AccountType.CONSOLIDATED_PAYMENT_PLAN,
    )
    with refused(app, InvalidInput, "A1"):
        app.enroll_company(person(ADMIN), "Acme", [typed])


def test_an_account_held_by_another_company_cannot_be_added() -> None:
    """A2: an account is held by at most one company at a time."""
    app = billing_center()
    enrolled_company(app)
    other = enrolled_company(app, "zoe", (OTHER_ACCOUNT,), "PROOF-2")
    wanted = proven(app, ACCOUNT, "PROOF-3")
    with refused(app, AccountHeldElsewhere, "A2"):
        app.add_account(person("zoe"), other, wanted)


def taken_over() -> tuple[BillingCenter, UUID, UUID]:
    """A2: ACCOUNT unenrolled by alice's company, then added by zoe's (other) with a proof."""
    app = billing_center()
    first = enrolled_company(app)
    unenroll(app, first)
    other = enrolled_company(app, "zoe", (OTHER_ACCOUNT,), "PROOF-2")
    app.add_account(person("zoe"), other, proven(app, ACCOUNT, "PROOF-3"))
    return app, first, other


def test_an_unenrolled_account_may_be_added_by_another_company() -> None:
    """A2: once unenrolled, another company may add the account with a proof."""
    app, _, other = taken_over()
    assert app.account(ACCOUNT).enrolled_in(other)


def test_the_former_company_cannot_reenroll_an_account_taken_over() -> None:
    """A2: after another company adds it, the former one can no longer re-enroll it (A5)."""
    app, first, _ = taken_over()
    with refused(app, AccountTakenOver, "A5"):
        reenroll(app, first)


def test_an_account_of_the_company_is_re_enrolled_not_added_again() -> None:
    """A2: adding an account the company already holds is refused."""
    app, company = a_company()
    unenroll(app, company)
    again = proven(app, ACCOUNT, "PROOF-3")
    with refused(app, AccountAlreadyInCompany, "A2"):
        app.add_account(person(ADMIN), company, again)


def test_unenrolling_with_other_requires_a_comment() -> None:
    """A3: with the reason OTHER a non-blank comment is required."""
    app, company = a_company()
    with refused(app, CommentRequired, "A3"):
        app.unenroll_accounts(person(ADMIN), company, [ACCOUNT], OTHER, "   ")


def test_unenrolling_with_other_and_a_comment_unenrolls() -> None:
    """A3: OTHER with a comment is accepted."""
    app, company = a_company()
    app.unenroll_accounts(person(ADMIN), company, [ACCOUNT], OTHER, "moving to EDI")
    assert not app.account(ACCOUNT).enrolled


def test_unenrolling_several_accounts_is_all_or_none() -> None:
    """A3: one selected account not enrolled refuses the whole request."""
    app = billing_center()
    company = enrolled_company(app, accounts=(ACCOUNT, OTHER_ACCOUNT, THIRD_ACCOUNT))
    unenroll(app, company, THIRD_ACCOUNT)
    with refused(app, AccountNotEnrolled, "A3"):
        unenroll(app, company, ACCOUNT, OTHER_ACCOUNT, THIRD_ACCOUNT)
    assert app.account(ACCOUNT).enrolled
    assert app.account(OTHER_ACCOUNT).enrolled


GENERAL_ADMINISTRATORS_OWN: list[tuple[str, Callable[[BillingCenter, UUID], object]]] = [
    ("A3", lambda app, company: unenroll(app, company, by="bob")),
    ("R11", lambda app, company: add_payment_method(app, company, by="bob")),
    ("R6", lambda app, company: app.hand_over(person("bob"), company, "bob")),
]


@pytest.mark.parametrize(
    ("rule", "act"), GENERAL_ADMINISTRATORS_OWN, ids=["unenroll", "pay by", "hand over"]
)
def test_only_the_general_administrator_unenrolls_pays_by_and_hands_over(
    rule: str, act: Callable[[BillingCenter, UUID], object]
) -> None:
    """A3, R11, R6: another Administrator may not unenroll accounts, add a payment method,
    or take or give the title."""
    app, company = a_company()
    add_user(app, company, "bob", Role.ADMINISTRATOR)
    with refused(app, Forbidden, rule):
        act(app, company)


def test_no_new_invoice_of_an_unenrolled_account_appears() -> None:
    """A4: while unenrolled, new invoices of the account appear nowhere."""
    app, company = a_company()
    unenroll(app, company)
    invoice = issue(app, bill(ACCOUNT, "PAPER-1"))
    with pytest.raises(NotFound):
        app.visible_invoice(ADMIN, invoice)


def test_invoices_from_before_unenrollment_remain_payable() -> None:
    """A4: the invoices received before the unenrollment can still be paid."""
    app, company = a_company()
    add_payment_method(app, company)
    invoice = issue(app, bill(ACCOUNT, "INV-1"))
    unenroll(app, company)
    app.pay_invoice(person(ADMIN), invoice)
    assert app.invoice(invoice).balance == 0


def test_invoices_from_before_unenrollment_remain_adjustable() -> None:
    """A4: the invoices received before the unenrollment can still be adjusted."""
    app, company = a_company()
    invoice = issue(app, bill(ACCOUNT, "INV-1"))
    unenroll(app, company)
    app.request_adjustment(person(ADMIN), invoice, "damaged", {"TRK-1": Decimal("10.00")})
    assert len(app.invoice(invoice).adjustments) == 1


def test_reenrolling_an_enrolled_account_is_refused() -> None:
    """A5: only unenrolled accounts are re-enrolled."""
    app, company = a_company()
    with refused(app, AccountAlreadyEnrolled, "A5"):
        reenroll(app, company)


def test_reenrolling_all_passes_over_accounts_taken_by_another_company() -> None:
    """A5: "all" brings back only the accounts no other company has taken since."""
    app = billing_center()
    first = enrolled_company(app, accounts=(ACCOUNT, OTHER_ACCOUNT))
    unenroll(app, first, ACCOUNT, OTHER_ACCOUNT)
    enrolled_company(app, "zoe", (ACCOUNT,), "PROOF-3")
    back = app.reenroll_accounts(person(ADMIN), first).result
    assert back == [OTHER_ACCOUNT]


def test_a_plan_manager_cannot_reenroll_accounts() -> None:
    """A5: re-enrolling is for Administrators (R9: not Plan Managers)."""
    app, company = a_company()
    add_user(app, company, "pm", Role.PLAN_MANAGER, (ACCOUNT,))
    unenroll(app, company)
    with refused(app, Forbidden, "R3"):
        reenroll(app, company, by="pm")


def test_invoices_issued_while_unenrolled_are_archived_after_reenrollment() -> None:
    """A6: the invoices of the paper period show on the archive history only."""
    app, company = a_company()
    paper = billed_on_paper(app, company)
    assert app.visible_invoice(ADMIN, paper).section is Section.ARCHIVE


def test_invoices_from_before_unenrollment_stay_in_the_history_after_reenrollment() -> None:
    """A6: invoices received before the unenrollment are visible as before."""
    app, company = a_company()
    before = issue(app, bill(ACCOUNT, "INV-1"))
    unenroll(app, company)
    reenroll(app, company)
    assert app.visible_invoice(ADMIN, before).section is Section.HISTORY


def test_an_archived_invoice_cannot_be_paid() -> None:
    """A6: archive invoices are view and download only."""
    app, company = a_company()
    add_payment_method(app, company)
    paper = billed_on_paper(app, company)
    with refused(app, ArchiveReadOnly, "A6"):
        app.pay_invoice(person(ADMIN), paper)


def test_an_archived_invoice_cannot_be_adjusted() -> None:
    """A6: archive invoices take no adjustment request."""
    app, company = a_company()
    paper = billed_on_paper(app, company)
    with refused(app, ArchiveReadOnly, "A6"):
        app.request_adjustment(person(ADMIN), paper, "wrong", {"TRK-1": Decimal("1.00")})


def test_every_unenrollment_cycle_adds_its_own_archive_interval() -> None:
    """A6: two paper periods are both archived; what lies between them is history."""
    app, company = a_company()
    sections = []
    for cycle in (1, 2):
        unenroll(app, company)
        paper = issue(app, bill(ACCOUNT, f"PAPER-{cycle}"))
        reenroll(app, company)
        online = issue(app, bill(ACCOUNT, f"ONLINE-{cycle}"))
        sections += [paper, online]
    seen = [app.visible_invoice(ADMIN, invoice).section for invoice in sections]
    assert seen == [Section.ARCHIVE, Section.HISTORY] * 2


def test_paid_invoices_printed_more_than_12_months_ago_leave_the_views() -> None:
    """A7: the billing history shows the last 12 months only; the store keeps the rest."""
    clock = FixedClock()
    app = billing_center(clock=clock)
    add_payment_method(app, enrolled_company(app))
    invoice = issue(app, bill(ACCOUNT, "INV-1"))
    app.pay_invoice(person(ADMIN), invoice)
    clock.advance(366)
    with pytest.raises(NotFound):
        app.visible_invoice(ADMIN, invoice)
    assert app.invoice(invoice).invoice_number == "INV-1"


def test_an_unpaid_invoice_stays_in_the_views_until_it_is_settled() -> None:
    """A7: an invoice with an outstanding balance stays, however old, until it is paid."""
    clock = FixedClock()
    app = billing_center(clock=clock)
    add_payment_method(app, enrolled_company(app))
    invoice = issue(app, bill(ACCOUNT, "INV-1"))
    clock.advance(800)
    assert app.visible_invoice(ADMIN, invoice).section is Section.HISTORY
    app.pay_invoice(person(ADMIN), invoice)
    with pytest.raises(NotFound):
        app.visible_invoice(ADMIN, invoice)


def test_invoices_printed_within_12_months_stay_in_the_views() -> None:
    """A7: an invoice printed less than 12 months ago is still shown."""
    clock = FixedClock()
    app = billing_center(clock=clock)
    enrolled_company(app)
    invoice = issue(app, bill(ACCOUNT, "INV-1"))
    clock.advance(350)
    assert app.visible_invoice(ADMIN, invoice).section is Section.HISTORY


def test_an_account_record_is_derived_from_the_account() -> None:
    """A2: the account's record id comes from its country and number, so writers collide."""
    app = billing_center()
    enrolled_company(app)
    assert app.account(ACCOUNT).id == account_id(ACCOUNT)


def test_the_latest_invoice_proves_the_account_even_among_same_day_invoices() -> None:
    """A1: of four invoices printed the same day, the last one delivered is among the latest."""
    app = billing_center()
    for number in range(1, 5):
        issue(app, bill(ACCOUNT, f"INV-{number}", issued=TODAY))
    latest = request(bill(ACCOUNT, "INV-4", issued=TODAY))
    app.enroll_company(person(ADMIN), "Acme", [latest])
    assert app.account(ACCOUNT).enrolled
