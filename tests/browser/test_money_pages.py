"""Issue 24's money in Chromium, English and French: an invoice's page shows the credit it
used (I10), a scheduled payment is cancelled after a confirmation (I3), and the help page
explains both; axe-core and screenshots as on every page."""

from __future__ import annotations

from datetime import timedelta

from api.tokens import Scope
from tests.browser.console import TODAY, Server, Visitor, unique
from tests.browser.test_console import visitor

__all__ = ["visitor"]  # the fixture, shared with the console's own tests


def _credited_and_scheduled(server: Server, ada: str, account: str, tag: str) -> tuple[str, int]:
    """A paid invoice whose approval becomes credit (I10), used by the next invoice, whose
    rest is scheduled in five days (I3): that invoice's id and the last write's position."""
    company = server.enroll(ada, account, server.issue(account, f"C1{tag}"))
    bank = {"holder": "Ada", "bank_code": "1", "account_number": "12345678"}
    server.call("POST", f"/v1/companies/{company}/payment-methods", ada, json=bank)
    paid = server.issue(account, f"C2{tag}", days_ago=0).invoice_id
    server.call("POST", f"/v1/invoices/{paid}/payments", ada, json={})
    lines = [{"tracking_number": f"1ZC2{tag}A", "amount": "100.00"}]
    asked = server.call("POST", f"/v1/invoices/{paid}/adjustments", ada,
                        json={"reason": "billed twice", "lines": lines})  # fmt: skip
    decision = f"/v1/invoices/{paid}/adjustments/{asked.json()['adjustment_id']}/decision"
    server.call("POST", decision, "billing", Scope.BILLING_SYSTEM, json={"approved": True})
    later = server.issue(account, f"C3{tag}", days_ago=0).invoice_id
    pay_on = {"pay_on": (TODAY + timedelta(days=5)).isoformat()}
    scheduled = server.call("POST", f"/v1/invoices/{later}/payments", ada, json=pay_on)
    return later, int(scheduled.json()["position"])


def test_the_invoice_page_shows_the_credit_and_cancels_a_scheduled_payment(
    visitor: Visitor, server: Server
) -> None:
    v, tag = visitor, unique()
    ada = f"ada-{tag}".lower()
    invoice, position = _credited_and_scheduled(server, ada, f"US-C{tag}", tag)
    v.sign_in(ada)
    v.go(f"/console/invoices/{invoice}?seen={position}", "invoice-credit-scheduled")
    assert v._("Credit applied") in v.text()
    v.page.check("#f-confirm-cancel-1")
    v.submit("form[action$='/cancel']", "payment-cancelled")
    assert v._("The scheduled payment was cancelled: the invoice is open again.") in v.text()
    assert v.page.locator("form[action$='/pay']").count() == 1, "open again: it can be paid"
    v.go("/console/help", "help")
    assert v._("Paying and cancelling a payment") in v.text()
    assert not v.violations, v.violations
