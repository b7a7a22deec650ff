"""R12 statements over HTTP and by e-mail: the open invoices a member may see, aged; sent
once per period and subscriber, through a restart and a rebuild of the outbox."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from email.message import Message
from typing import Any

import orjson
import pytest
from pypdf import PdfReader

from domain.application import BillingCenter
from projections.runner import rebuild
from store.database import open_database
from tests.e2e.http import TODAY, World, csrf_of
from tests.integration.mail.smtp import SmtpServer, eventually

PERIOD = TODAY.strftime("%Y-%m")


def _statement(world: World, who: str = "admin", accept: str = "application/json") -> bytes:
    caller = world.admin if who == "admin" else world.add_user(who, "VIEW_ONLY", world.accounts[0])
    response = caller.get(f"/v1/companies/{world.cid}/statement", params={"period": PERIOD},
                          headers={"Accept": accept})  # fmt: skip
    assert response.status_code == 200, response.text
    return response.content


def test_r12_the_statement_lists_the_open_invoices_one_may_see(world: World) -> None:
    seen = world.issue(world.accounts[0], invoice_number="INV-ST-1", amount="100.00")
    world.issue(world.accounts[1], invoice_number="INV-ST-2", amount="50.00")
    paid = world.issue(world.accounts[0], invoice_number="INV-ST-3")
    world.admin.post(
        f"/v1/companies/{world.cid}/payment-methods",
        json={"holder": "Acme", "bank_code": "COBADEFF", "account_number": "DE89"},
    )
    assert world.admin.post(f"/v1/invoices/{paid}/payments", json={}).status_code == 201
    world.admin.get(f"/v1/invoices/{paid}")  # the read models have the payment
    admin = _json(_statement(world))
    assert [i["invoice_number"] for i in admin["invoices"]] == ["INV-ST-1", "INV-ST-2"]
    assert admin["aging"]["USD"]["total"] == "150.00"
    bob = _json(_statement(world, "bob"))  # R4: bob sees the first account only
    assert [i["invoice_id"] for i in bob["invoices"]] == [seen]
    assert bob["aging"]["USD"]["total"] == "100.00"


def test_r12_the_statement_as_pdf_and_csv(world: World) -> None:
    world.issue(world.accounts[0], invoice_number="INV-ST-9", amount="80.00")
    text = PdfReader(io.BytesIO(_statement(world, accept="application/pdf"))).pages[0]
    assert "INV-ST-9" in text.extract_text()
    assert f"Statement {PERIOD}" in text.extract_text()
    rows = list(csv.reader(io.StringIO(_statement(world, accept="text/csv").decode("utf-8-sig"))))
    assert rows[0][:2] == ["invoice_id", "invoice_number"]
    assert [r[1] for r in rows[1:]] == ["INV-ST-9"]


@pytest.mark.parametrize("period", ["2026-13", "26-01", "1999-12", "2026-1x"])
def test_r12_a_bad_period_is_refused(world: World, period: str) -> None:
    response = world.admin.get(f"/v1/companies/{world.cid}/statement", params={"period": period})
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")


def test_r12_subscribing_needs_a_company_and_a_known_frequency(world: World) -> None:
    assert world.admin.put("/v1/me/statement", json={"frequency": "DAILY"}).status_code == 422
    done = world.admin.put("/v1/me/statement", json={"frequency": "MONTHLY"})
    assert done.status_code == 200, done.text
    assert done.json()["frequency"] == "MONTHLY"
    assert world.admin.put("/v1/me/statement", json={"frequency": None}).status_code == 200


def _statements(smtp: SmtpServer) -> list[Message]:
    return [m for m in smtp.inbox.messages if str(m["Subject"]).startswith("Your statement")]


def test_r12_one_statement_per_period_and_subscriber_through_a_rebuild(
    mailing: World, smtp: SmtpServer
) -> None:
    app: BillingCenter = mailing.client.app.state.billing_center  # type: ignore[attr-defined]
    app.close_statement_periods(app.today())  # what the sender closes on its own, now
    mailing.issue(mailing.accounts[0], invoice_number="INV-SUB-1", amount="42.00")
    assert mailing.admin.put("/v1/me/statement", json={"frequency": "MONTHLY"}).is_success
    bob = mailing.add_user("bob", "VIEW_ONLY", mailing.accounts[1])
    assert bob.put("/v1/me/statement", json={"frequency": "WEEKLY"}).is_success
    later = app.today() + timedelta(days=40)  # the current month and a later week have ended
    assert len(app.close_statement_periods(later)) == 2
    eventually(lambda: len(_statements(smtp)) == 2)
    to_alice = next(m for m in _statements(smtp) if "alice@" in str(m["To"]))
    assert to_alice["Subject"] == f"Your statement for {PERIOD}"
    attached = {part.get_filename(): part.get_payload(decode=True) for part in to_alice.walk()
                if part.get_filename()}  # fmt: skip
    assert set(attached) == {f"statement-{PERIOD}.pdf", f"statement-{PERIOD}.csv"}
    assert b"INV-SUB-1" in attached[f"statement-{PERIOD}.csv"]
    to_bob = next(m for m in _statements(smtp) if "bob@" in str(m["To"]))
    assert "-W" in str(to_bob["Subject"])
    assert b"INV-SUB-1" not in next(  # R4: bob does not see the first account
        p.get_payload(decode=True) for p in to_bob.walk() if str(p.get_filename()).endswith("csv")
    )

    assert app.close_statement_periods(later) == []  # closed once, ever
    db = open_database(mailing.client.app.state.settings.database_url)  # type: ignore[attr-defined]
    try:
        rebuild(db, app, "outbox")
    finally:
        db.close()
    mailing.issue(mailing.accounts[0], invoice_number="INV-SUB-2")  # a later mail, as a marker
    eventually(lambda: any("INV-SUB-2" in str(m["Subject"]) for m in smtp.inbox.messages))
    assert len(_statements(smtp)) == 2


def _json(content: bytes) -> dict[str, Any]:
    found: dict[str, Any] = orjson.loads(content)
    return found


def test_r12_the_console_profile_subscribes_and_downloads(world: World) -> None:
    world.issue(world.accounts[0], invoice_number="INV-ST-C")
    world.admin.get("/v1/me")  # the read models have the enrollment and the invoice
    client = world.client
    client.cookies.clear()
    csrf = csrf_of(client.get("/console/sign-in").text)
    client.post("/console/sign-in", data={"csrf_token": csrf, "login": "alice"},
                headers=SAME_ORIGIN)  # fmt: skip
    page = client.get("/console/profile").text
    assert 'id="s-none" name="frequency" value="" checked' in page
    form = {"csrf_token": csrf_of(page), "frequency": "MONTHLY"}
    done = client.post("/console/profile/statement", data=form, headers=SAME_ORIGIN)
    assert "Your statement subscription was updated." in done.text
    assert 'value="MONTHLY" checked' in done.text
    app: BillingCenter = client.app.state.billing_center  # type: ignore[attr-defined]
    assert app.user("alice").statement_frequency is not None
    csv_file = client.get("/console/statement.csv", params={"period": PERIOD})
    assert csv_file.status_code == 200
    assert b"INV-ST-C" in csv_file.content
    pdf = client.get("/console/statement.pdf", params={"period": PERIOD})
    assert pdf.headers["content-type"] == "application/pdf"
    assert client.get("/console/statement.pdf", params={"period": "2026-13"}).status_code == 422


SAME_ORIGIN = {"Origin": "http://testserver"}
