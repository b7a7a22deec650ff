"""E-mail end to end: commands write events, the outbox projection picks recipients, the
sender in the API process delivers to a real SMTP server on loopback (R8, I3, I4, I5).
"""

from __future__ import annotations

from tests.e2e.http import World
from tests.integration.mail.smtp import SmtpServer, eventually


def subjects(smtp: SmtpServer) -> list[str]:
    return [str(m["Subject"]) for m in smtp.inbox.messages]


def test_i5_an_invoice_issued_into_the_history_mails_who_can_see_it_once(
    mailing: World, smtp: SmtpServer
) -> None:
    mailing.issue(mailing.accounts[0], invoice_number="INV-MAIL-1")
    eventually(lambda: "Invoice INV-MAIL-1 is available" in subjects(smtp))
    mail = next(m for m in smtp.inbox.messages if "INV-MAIL-1" in str(m["Subject"]))
    assert mail["To"] == "Alice <alice@acme.test>"
    assert subjects(smtp).count("Invoice INV-MAIL-1 is available") == 1


def test_i5_an_archive_only_invoice_sends_no_email(mailing: World, smtp: SmtpServer) -> None:
    mailing.issue_on_paper(mailing.accounts[1], invoice_number="INV-PAPER-9")
    mailing.issue(mailing.accounts[0], invoice_number="INV-AFTER-9")  # a later, mailed one
    eventually(lambda: "Invoice INV-AFTER-9 is available" in subjects(smtp))
    assert not any("INV-PAPER-9" in s for s in subjects(smtp))


def test_r8_a_payment_mails_who_can_see_the_invoice_without_naming_the_payer(
    mailing: World, smtp: SmtpServer
) -> None:
    admin = mailing.admin
    method = admin.post(
        f"/v1/companies/{mailing.cid}/payment-methods",
        json={"holder": "Acme Inc", "bank_code": "COBADEFF", "account_number": "DE8937040044"},
    )
    assert method.status_code == 201, method.text
    iid = mailing.issue(mailing.accounts[0], invoice_number="INV-PAY-1")
    bob = mailing.add_user("bob", "VIEW_ONLY", mailing.accounts[0])
    paid = admin.post(f"/v1/invoices/{iid}/payments", json={})
    assert paid.status_code == 201, paid.text
    eventually(lambda: subjects(smtp).count("Payment for invoice INV-PAY-1") == 2)
    to_bob = next(
        m for m in smtp.inbox.messages
        if m["Subject"] == "Payment for invoice INV-PAY-1" and "bob@" in str(m["To"])
    )  # fmt: skip
    assert "alice" not in to_bob.as_string().lower()
    assert bob.login == "bob"
