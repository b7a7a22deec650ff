"""Issue 23's seed story as a user in Chromium, in English and in French: enroll, pay, download
the receipt (PDF and JSON) and verify it with the CLI and the public key alone (I8), dispute a
line with a PDF as evidence, the billing system reviews, comments and approves part (I9), the
case history and the credited balance; save a search and subscribe to statements on "My
profile" (R12), then receive the statement through the local SMTP server. axe-core and
screenshots on every page, as in the console's other browser tests."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from email.message import Message
from pathlib import Path

import pytest
from pydantic import SecretStr

from api.bootstrap import billing_center
from api.settings import Settings
from api.tokens import Scope
from api.web.i18n import Formats
from tests.browser.conftest import serving
from tests.browser.console import Proof, Server, Visitor, unique
from tests.browser.test_console import _add_bank_account, _adjust, _enroll, _pay, visitor
from tests.integration.mail.smtp import SmtpServer, eventually
from tests.samples import a_pdf

__all__ = ["visitor"]  # the fixture, shared with the console's own tests

APPROVED = Decimal("3.00")
"""What the billing system approves of the 5.25 that `_adjust` disputes (I9, in part)."""
CLOSE_IN_DAYS = {"en": 40, "fr": 75}
"""Each language's pass closes a month of its own: 35 days apart, never the same month."""
MAIL_SECONDS = 30.0


@pytest.fixture(scope="module")
def mailbox() -> Iterator[SmtpServer]:
    """The suite's SMTP server on loopback, for the whole module's server."""
    with SmtpServer() as smtp:
        yield smtp


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, mailbox: SmtpServer) -> Iterator[Server]:
    """The console (as in conftest) whose e-mails go to `mailbox`."""
    with serving(tmp_path_factory.mktemp("story"), BILLING_SMTP_URL=mailbox.url) as running:
        yield running


def _cli(server: Server, *args: str) -> subprocess.CompletedProcess[str]:
    """`billing-center ARGS` in the server's environment."""
    command = [str(Path(sys.executable).parent / "billing-center"), *args]
    env = {"PATH": "/usr/bin:/bin", **server.env}
    return subprocess.run(command, env=env, capture_output=True, text=True, check=False)


def _download(v: Visitor, link: str, into: Path) -> Path:
    """Click a download link of the page and keep the file."""
    with v.page.expect_download() as download:
        v.page.locator(link).first.click()
    path = into / download.value.suggested_filename
    download.value.save_as(path)
    return path


def _receipts_verify(v: Visitor, server: Server, proof: Proof, tmp: Path) -> None:
    """I8: both receipts of the invoice page verify with the published public key alone."""
    v.go(f"/console/invoices/{proof.invoice_id}", "invoice-receipts")
    pem = tmp / "billing-center.pem"
    pem.write_text(_cli(server, "audit", "public-key").stdout)
    for kind in ("pdf", "json"):
        receipt = _download(v, f"a[href$='/receipt.{kind}']", tmp)
        assert receipt.read_bytes().startswith(b"%PDF" if kind == "pdf" else b"{")
        checked = _cli(server, "audit", "verify-receipt", str(receipt), "--public-key", str(pem))
        assert checked.returncode == 0, checked.stderr + checked.stdout
        assert f"for invoice {proof.number}" in checked.stdout


def _evidence(tmp: Path) -> Path:
    """A small real PDF, as a user would photograph and scan a delivery note."""
    path = tmp / "delivery-note.pdf"
    path.write_bytes(a_pdf("Delivery note: the fuel surcharge was billed twice."))
    return path


def _open_case(v: Visitor, proof: Proof, tmp: Path) -> str:
    """I9: from the invoice page to its case; a comment, then the PDF; the case's id."""
    v.go(f"/console/invoices/{proof.invoice_id}", "invoice-adjusted")
    with v.page.expect_navigation():
        v.page.locator("a[href*='/adjustments/']").first.click()
    v.look("case")
    case = v.page.url.split("/adjustments/")[1].split("?")[0]
    v.page.fill("#c-text", "The delivery note shows one surcharge only.")
    v.submit("form[action$='/comments']", "case-commented")
    assert v._("Your comment was added to the case.") in v.text()
    v.page.set_input_files("#c-file", str(_evidence(tmp)))
    v.submit("form[action$='/attachments']", "case-attached")
    assert v._("The file was added to the case.") in v.text()
    assert "delivery-note.pdf" in v.text()
    return case


def _billing_system_decides(server: Server, proof: Proof, case: str) -> int:
    """I9 over the API with the billing system's token: review, comment, approve in part."""
    url = f"/v1/invoices/{proof.invoice_id}/adjustments/{case}"
    server.call("POST", f"{url}/review", "ledger", Scope.BILLING_SYSTEM)
    server.call("POST", f"{url}/comments", "ledger", Scope.BILLING_SYSTEM,
                json={"text": "Checked with the fuel desk."})  # fmt: skip
    lines = [{"tracking_number": f"1Z{proof.number}B", "amount": str(APPROVED)}]
    body = {"approved": True, "lines": lines, "comment": "In part"}
    decided = server.call("POST", f"{url}/decision", "ledger", Scope.BILLING_SYSTEM, json=body)
    position: int = decided.json()["position"]
    return position


def _sees_the_decision(v: Visitor, proof: Proof, case: str, seen: int) -> None:
    """The user sees every step of the case, and the invoice's balance credited (I9)."""
    v.go(f"/console/invoices/{proof.invoice_id}/adjustments/{case}?seen={seen}", "case-decided")
    steps = v.page.locator("ol.history > li strong").all_inner_texts()
    expected = ["Requested", "Comment", "File added", "In review", "Comment", "Approved"]
    assert steps == [v._(step) for step in expected]
    money = Formats(v.lang).money
    facts = v.page.inner_text("[data-testid=case]")
    approved = v._("approved: %(amount)s") % {"amount": money(APPROVED, "USD")}
    assert f"{money(Decimal('5.25'), 'USD')} ({approved})" in facts
    assert v.page.locator("form[action$='/comments']").count() == 0, "a decided case is closed"
    v.go(f"/console/invoices/{proof.invoice_id}", "invoice-credited")
    assert money(Decimal(proof.amount) - APPROVED, "USD") in v.page.inner_text("dl.facts")


def _save_a_search(v: Visitor) -> None:
    """R12: the billing history's filters saved under a name, then offered as a menu."""
    v.go("/console/invoices?status=open&sort=amount&dir=desc", "billing-history-open")
    v.page.fill("#f-name", "Open, largest first")
    v.submit("form[action='/console/saved-searches']", "search-saved")
    menu = v.page.locator("ul.saved-searches a", has_text="Open, largest first")
    assert "status=open" in (menu.get_attribute("href") or "")


def _subscribe(v: Visitor) -> None:
    """R12: a monthly statement, chosen on "My profile"."""
    v.go("/console/profile", "profile-statement")
    v.page.check("#s-MONTHLY")
    v.submit("form[action='/console/profile/statement']", "profile-subscribed")
    assert v._("Your statement subscription was updated.") in v.text()
    assert v.page.is_checked("#s-MONTHLY")


def _close_a_month(server: Server, days: int) -> list[str]:
    """What the server's mail sender does once a month has ended, `days` from now."""
    settings = Settings(
        env="development",
        database_url=server.env["BILLING_DATABASE_URL"],
        jwt_secret=SecretStr(server.secret),
        data_key=Path(server.env["BILLING_DATA_KEY"]),
        export_key=Path(server.env["BILLING_EXPORT_KEY"]),
    )
    app = billing_center(settings, clock=lambda: datetime.now(UTC) + timedelta(days=days))
    try:
        return app.close_statement_periods(app.today())
    finally:
        app.close()


def _statement_to(mailbox: SmtpServer, login: str) -> Message | None:
    return next(
        (m for m in mailbox.inbox.messages
         if str(m["Subject"]).startswith("Your statement") and login in str(m["To"])),
        None,
    )  # fmt: skip


def test_the_seed_story_of_issue_23(
    visitor: Visitor, server: Server, mailbox: SmtpServer, tmp_path: Path
) -> None:
    """R1 (A1), I3, I8, I9, R12 as a user, page by page, in English and in French."""
    v, tag = visitor, unique()
    ada, a, b = f"ada-{tag}".lower(), f"US-A{tag}", f"US-B{tag}"
    _enroll(v, ada, f"Acme {tag}", a=a, b=b, pa=server.issue(a, f"A1{tag}"),
            pb=server.issue(b, f"B1{tag}"))  # fmt: skip
    paid = server.issue(a, f"A2{tag}", days_ago=0)
    disputed = server.issue(b, f"B2{tag}", days_ago=0)
    v.go(f"/console/invoices?seen={disputed.position}", "billing-history")
    _add_bank_account(v)
    _pay(v, paid)
    _receipts_verify(v, server, paid, tmp_path)
    _adjust(v, disputed)
    case = _open_case(v, disputed, tmp_path)
    _sees_the_decision(v, disputed, case, _billing_system_decides(server, disputed, case))
    _save_a_search(v)
    _subscribe(v)
    assert len(_close_a_month(server, CLOSE_IN_DAYS[v.lang])) >= 1
    eventually(lambda: _statement_to(mailbox, ada) is not None, MAIL_SECONDS)
    mail = _statement_to(mailbox, ada)
    assert mail is not None
    files = {p.get_filename(): p.get_payload(decode=True) for p in mail.walk() if p.get_filename()}
    assert sorted(str(name).rsplit(".", 1)[1] for name in files) == ["csv", "pdf"]
    csv = next(content for name, content in files.items() if str(name).endswith(".csv"))
    assert isinstance(csv, bytes)
    assert disputed.number.encode() in csv, "the disputed invoice is still open"
    assert paid.number.encode() not in csv, "the paid one is not"
    assert not v.violations, v.violations
