"""Issue 23's seed story over the API alone, on SQLite and PostgreSQL: a company enrolled with
its accounts' proofs (A1) pays an invoice and verifies its receipt with the CLI and the public
key (I8), disputes another with a PDF, the billing system reviews, comments and approves part
(I9), a search is saved, and the monthly statement reaches the local SMTP server (R12)."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from decimal import Decimal
from email.message import Message
from pathlib import Path

from typer.testing import CliRunner

from api.cli import cli
from domain.application import BillingCenter
from tests.e2e.http import World
from tests.integration.mail.smtp import SmtpServer, eventually
from tests.samples import a_pdf

METHOD = {"holder": "Acme Inc", "bank_code": "COBADEFF", "account_number": "DE8937040044"}
DISPUTED, APPROVED = Decimal("20.00"), Decimal("12.50")


def _cli(world: World, *args: str) -> str:
    """`billing-center ARGS` with the app's keys; its output (exit 0 asserted)."""
    settings = world.client.app.state.settings  # type: ignore[attr-defined]
    env = {"BILLING_ENV": "development", "BILLING_EXPORT_KEY": str(settings.export_key)}
    result = CliRunner().invoke(cli, list(args), env=env)
    assert result.exit_code == 0, result.output
    return result.output


def _pay_and_verify_the_receipt(world: World, tmp: Path) -> str:
    """I3, I8: pay; both forms of the receipt verify with the published public key alone."""
    assert world.admin.post(f"/v1/companies/{world.cid}/payment-methods", json=METHOD).is_success
    iid = world.issue(world.accounts[0], invoice_number="INV-STORY-PAID")
    paid = world.admin.post(f"/v1/invoices/{iid}/payments", json={})
    assert paid.status_code == 201, paid.text
    url = f"/v1/invoices/{iid}/payments/{paid.json()['payment_id']}/receipt"
    pem = tmp / "billing-center.pem"
    pem.write_text(_cli(world, "audit", "public-key"))
    for name, accept in (("receipt.json", "application/json"), ("receipt.pdf", "application/pdf")):
        answer = world.admin.get(url, headers={"Accept": accept})
        assert answer.status_code == 200, answer.text
        (tmp / name).write_bytes(answer.content)
        checked = _cli(world, "audit", "verify-receipt", str(tmp / name), "--public-key", str(pem))
        assert f"verified receipt {paid.json()['confirmation_number']}" in checked
    return iid


def _dispute_with_evidence(world: World) -> tuple[str, str]:
    """I9: the user disputes one line and attaches a PDF."""
    iid = world.issue(world.accounts[1], invoice_number="INV-STORY-DISPUTED")
    line = [{"tracking_number": "1Z002", "amount": str(DISPUTED)}]
    asked = world.admin.post(f"/v1/invoices/{iid}/adjustments",
                             json={"reason": "Billed twice", "lines": line})  # fmt: skip
    assert asked.status_code == 201, asked.text
    aid: str = asked.json()["adjustment_id"]
    note = {"file": ("delivery-note.pdf", a_pdf("Delivery note"), "application/pdf")}
    sent = world.admin.post(f"/v1/invoices/{iid}/adjustments/{aid}/attachments", files=note)
    assert sent.status_code == 201, sent.text
    return iid, aid


def _billing_system_approves_part(world: World, iid: str, aid: str) -> None:
    """I9: the billing system's token puts it IN_REVIEW, comments, approves part of the line."""
    url = f"/v1/invoices/{iid}/adjustments/{aid}"
    assert world.billing.post(f"{url}/review").json()["status"] == "IN_REVIEW"
    said = world.billing.post(f"{url}/comments", json={"text": "Checked with the fuel desk."})
    assert said.status_code == 201, said.text
    part = [{"tracking_number": "1Z002", "amount": str(APPROVED)}]
    decided = world.billing.post(f"{url}/decision", json={"approved": True, "lines": part})
    assert decided.status_code == 200, decided.text


def _statement_to(smtp: SmtpServer, login: str) -> Message | None:
    return next(
        (m for m in smtp.inbox.messages
         if str(m["Subject"]).startswith("Your statement") and f"{login}@" in str(m["To"])),
        None,
    )  # fmt: skip


def _statement_rows(mail: Message) -> dict[str, dict[str, str]]:
    """The statement's CSV attachment, by invoice number."""
    (content,) = [p.get_payload(decode=True) for p in mail.walk()
                  if str(p.get_filename()).endswith(".csv")]  # fmt: skip
    assert isinstance(content, bytes)
    rows = csv.DictReader(io.StringIO(content.decode("utf-8-sig")))
    return {row["invoice_number"]: row for row in rows}


def test_the_seed_story_over_the_api(mailing: World, smtp: SmtpServer, tmp_path: Path) -> None:
    """R1 (A1), I3, I8, I9, R12 end to end, as the README's sections tell them."""
    app: BillingCenter = mailing.client.app.state.billing_center  # type: ignore[attr-defined]
    app.close_statement_periods(app.today())  # what the sender closes on its own, now
    paid = _pay_and_verify_the_receipt(mailing, tmp_path)
    iid, aid = _dispute_with_evidence(mailing)
    _billing_system_approves_part(mailing, iid, aid)
    case = mailing.admin.get(f"/v1/invoices/{iid}/adjustments/{aid}").json()
    assert [s["step"] for s in case["history"]] == [
        "REQUESTED", "ATTACHED", "IN_REVIEW", "COMMENTED", "APPROVED",
    ]  # fmt: skip
    assert case["approved_lines"] == {"1Z002": str(APPROVED)}
    assert [a["filename"] for a in case["attachments"]] == ["delivery-note.pdf"]
    balance = Decimal(mailing.admin.get(f"/v1/invoices/{iid}").json()["balance"])
    assert balance == Decimal("120.50") - APPROVED
    saved = mailing.admin.post("/v1/me/saved-searches",
                               json={"name": "Open", "filters": {"status": "open"}})  # fmt: skip
    assert saved.status_code == 201, saved.text
    assert [s["name"] for s in mailing.admin.get("/v1/me/saved-searches").json()["items"]] == [
        "Open"
    ]
    assert mailing.admin.put("/v1/me/statement", json={"frequency": "MONTHLY"}).is_success
    assert app.close_statement_periods(app.today() + timedelta(days=40))  # a month has ended
    eventually(lambda: _statement_to(smtp, "alice") is not None)
    rows = _statement_rows(_statement_to(smtp, "alice"))  # type: ignore[arg-type]
    assert "INV-STORY-DISPUTED" in rows, "still open, credited"
    assert Decimal(rows["INV-STORY-DISPUTED"]["balance"]) == balance
    assert not any(row["invoice_id"] == paid for row in rows.values()), "paid: not open"
