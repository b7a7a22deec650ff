"""Issue 24's done-when: a rebuild of every projection (blue/green: a new generation from
position 0) reproduces memberships (pending, confirmed, withdrawn, released by a closure),
profiles and the general administrator's title (R10, R6),
credits (earned, used), payments (cancelled, re-quoted) and old unpaid invoices (A7) row by
row, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from uuid import UUID

from domain.application import BillingCenter
from domain.values import Role, UnenrollmentReason
from projections.runner import PROJECTIONS, Runner, rebuild
from store.database import Database
from tests.builders import (
    ACCOUNT,
    ADMIN,
    BILLING,
    OTHER_ACCOUNT,
    THIRD_ACCOUNT,
    TODAY,
    add_payment_method,
    add_user,
    bill,
    enrolled_company,
    issue,
    person,
    proven,
)
from tests.integration.projections_support import dump


@dataclass
class Scene:
    """The history so far: the billing center and the company most chapters act in."""

    app: BillingCenter
    company: UUID


def _memberships(s: Scene) -> None:
    """R5: pending (bob), confirmed (carol, dan), withdrawn by bob's own enrollment."""
    app, company = s.app, s.company
    add_user(app, company, "bob", Role.VIEW_ONLY, (ACCOUNT,))  # pending
    add_user(app, company, "carol", Role.ADMINISTRATOR)
    add_user(app, company, "dan", Role.VIEW_ONLY)
    app.change_role(person("carol"), company, "dan", Role.VIEW_PAY)  # carol confirmed
    app.enroll_company(person("bob"), "Bob's", [proven(app, OTHER_ACCOUNT, "P-2")])  # withdrawn


def _profiles(s: Scene) -> None:
    """R10: carol edits her own profile, the general administrator dan's; R6: the billing
    system gives the title to carol, with a reason."""
    app, company = s.app, s.company
    app.change_own_profile(person("carol"), "carol@home.test", "Carol Quill")
    app.change_user_profile(person(ADMIN), company, "dan", "dan@work.test", "Dan Brook")
    app.reassign_general_administrator(BILLING, company, "carol", "alice left the company")


def _credits(s: Scene) -> None:
    """I10: an approval on a paid invoice becomes 60.00 of credit, used by the next two."""
    app = s.app
    paid = issue(app, bill(ACCOUNT, "INV-P", issued=TODAY - timedelta(days=1)))
    app.pay_invoice(person(ADMIN), paid)
    asked = app.request_adjustment(person(ADMIN), paid, "late", {"TRK-1": Decimal("60.00")})
    app.decide_adjustment(BILLING, paid, asked.result, approved=True)  # 60.00 of credit
    issue(app, bill(ACCOUNT, "INV-C", issued=TODAY, amount="40.00"))  # uses 40.00
    later = issue(app, bill(ACCOUNT, "INV-S", issued=TODAY, amount="100.00"))  # uses 20.00
    payment = app.pay_invoice(person(ADMIN), later, TODAY + timedelta(days=3)).result
    app.cancel_payment(person(ADMIN), later, payment.payment_id)


def _payments(s: Scene) -> None:
    """I3, I10, A7: a scheduled payment re-quoted by a partial approval, and an invoice
    printed over a year ago, still due, then one settled."""
    app = s.app
    scheduled = issue(app, bill(ACCOUNT, "INV-Q", issued=TODAY, amount="200.00"))
    app.pay_invoice(person(ADMIN), scheduled, TODAY + timedelta(days=5))
    asked = app.request_adjustment(person(ADMIN), scheduled, "dent", {"TRK-2": Decimal("30.00")})
    app.decide_adjustment(BILLING, scheduled, asked.result, approved=True)  # pays 170.00
    issue(app, bill(ACCOUNT, "INV-OLD", issued=TODAY - timedelta(days=400)))
    settled = issue(app, bill(ACCOUNT, "INV-OLD-PAID", issued=TODAY - timedelta(days=400)))
    app.pay_invoice(person(ADMIN), settled)


def _closing(s: Scene) -> None:
    """R14: a company unenrolls its account and closes; its members are released."""
    third = enrolled_company(s.app, "zoe", (THIRD_ACCOUNT,), "P-3")
    s.app.unenroll_accounts(person("zoe"), third, [THIRD_ACCOUNT], UnenrollmentReason.PREFER_PAPER)
    s.app.close_company(person("zoe"), third, confirmed=True)


CHAPTERS: tuple[Callable[[Scene], None], ...] = (
    _memberships,
    _profiles,
    _credits,
    _payments,
    _closing,
)
"""Every kind of event issue 24 added, a chapter each: a new feature (plans, A8) appends
its own chapter, and the rebuild below must reproduce what it leaves in the read models."""


def test_a_rebuild_reproduces_memberships_credits_and_payments(
    app: BillingCenter, db: Database
) -> None:
    company = enrolled_company(app, accounts=(ACCOUNT,))
    add_payment_method(app, company)
    for chapter in CHAPTERS:
        chapter(Scene(app, company))
    Runner(db, app).catch_up()
    built = dump(db)
    assert any("'bob'" in row for row in built["directory_members"])
    assert built["accounts_credits"] == [repr((str(ACCOUNT), 0))]  # 60.00 earned, all used
    assert any("INV-OLD'" in row for row in built["invoices_invoices"])
    assert any("Carol Quill" in row for row in built["directory_profiles"])
    for name in PROJECTIONS:
        rebuild(db, app, name, page_size=3)
    rebuilt = dump(db)
    for table, rows in built.items():
        assert rebuilt[table] == rows, table  # row by row, table by table
    assert rebuilt.keys() == built.keys()
