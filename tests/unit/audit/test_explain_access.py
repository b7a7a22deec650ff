"""C2: who could see an invoice at an instant, and the rule that let or stopped each user."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from domain.values import Role, UnenrollmentReason
from projections.audit.explain import explain
from tests.audit_world import ACCOUNT, Clock, add_user, center, company, instant, issue, person
from tests.builders import add_payment_method


def _rules(answer: Any) -> dict[str, str]:
    seen = {row["login"]: "seen:" + row["section"] for row in answer.could_see}
    return seen | {row["login"]: row["rule"] for row in answer.could_not}


def test_an_administrator_sees_by_role_and_a_user_by_grant() -> None:
    app = center()
    cid = company(app)
    add_user(app, cid, "bob", Role.VIEW_ONLY, accounts=(ACCOUNT,))
    add_user(app, cid, "carol", Role.VIEW_ONLY)
    invoice = issue(app, ACCOUNT, "INV-1")
    answer = explain(app, invoice, instant(), today=app.today())
    assert answer is not None
    assert _rules(answer) == {"alice": "seen:HISTORY", "bob": "seen:HISTORY", "carol": "R4"}
    because = {row["login"]: row["because"] for row in answer.could_see}
    assert because["alice"][0]["role"] == "ADMINISTRATOR"
    assert because["bob"][0]["grant"] == "US-A00001"
    assert because["bob"][1]["section"] == "HISTORY"
    assert because["bob"][1]["enrolled"]["to"] is None


def test_an_invoice_issued_during_an_open_unenrollment_is_hidden_a6() -> None:
    app = center()
    cid = company(app)
    app.unenroll_accounts(person("alice"), cid, [ACCOUNT], UnenrollmentReason.PREFER_PAPER)
    invoice = issue(app, ACCOUNT, "INV-2")
    answer = explain(app, invoice, instant(), today=app.today())
    assert answer is not None
    assert _rules(answer) == {"alice": "A6"}
    app.reenroll_accounts(person("alice"), cid)
    later = explain(app, invoice, instant(), today=app.today())
    assert later is not None
    assert _rules(later) == {"alice": "seen:ARCHIVE"}


def test_an_invoice_issued_before_enrollment_is_never_visible_i2() -> None:
    app = center()
    early = issue(app, ACCOUNT, "INV-0")
    company(app)
    answer = explain(app, early, instant(), today=app.today())
    assert answer is not None
    assert _rules(answer) == {"alice": "I2"}


def test_a_removed_user_is_stopped_by_r5() -> None:
    app = center()
    cid = company(app)
    add_user(app, cid, "bob", Role.VIEW_ONLY, accounts=(ACCOUNT,))
    invoice = issue(app, ACCOUNT, "INV-1")
    while_member = instant()
    app.remove_user(person("alice"), cid, "bob", confirmed=True)
    assert _rules(explain(app, invoice, instant(), today=app.today()))["bob"] == "R5"
    assert _rules(explain(app, invoice, while_member, today=app.today()))["bob"] == "seen:HISTORY"


def test_a_paid_invoice_older_than_twelve_months_is_out_of_the_window_a7() -> None:
    clock = Clock()
    app = center(clock=clock)
    add_payment_method(app, company(app), by="alice")
    invoice = issue(app, ACCOUNT, "INV-1")
    app.pay_invoice(person("alice"), invoice)
    answer = explain(app, invoice, instant(), today=clock.now.date() + timedelta(days=400))
    assert _rules(answer) == {"alice": "A7"}


def test_an_unpaid_invoice_older_than_twelve_months_is_still_seen_a7() -> None:
    clock = Clock()
    app = center(clock=clock)
    company(app)
    invoice = issue(app, ACCOUNT, "INV-1")
    answer = explain(app, invoice, instant(), today=clock.now.date() + timedelta(days=400))
    assert answer is not None
    assert _rules(answer) == {"alice": "seen:HISTORY"}
    assert answer.could_see[0]["because"][-1]["outstanding"] is True  # why it is still seen


def test_explain_before_the_invoice_existed_is_none() -> None:
    app = center()
    company(app)
    before = instant()
    invoice = issue(app, ACCOUNT, "INV-1")
    assert explain(app, invoice, before) is None
