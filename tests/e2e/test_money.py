"""Issue 24, money users expect to behave, over HTTP on SQLite and PostgreSQL: cancelling a
scheduled payment (I3), approvals on paid invoices become account credit used by the next
invoices (I10), approvals re-quote or cancel a scheduled payment (I10)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from tests.e2e.http import TODAY, World, acct, problem


def _with_method(world: World) -> None:
    world.admin.post(
        f"/v1/companies/{world.cid}/payment-methods",
        json={"holder": "A", "bank_code": "1", "account_number": "12345678"},
    )


def _pay(world: World, invoice: str, days: int = 0) -> str:
    pay_on = (TODAY + timedelta(days=days)).isoformat()
    paid = world.admin.post(f"/v1/invoices/{invoice}/payments", json={"pay_on": pay_on})
    assert paid.status_code == 201, paid.text
    payment_id: str = paid.json()["payment_id"]
    return payment_id


def _approve(world: World, invoice: str, *lines: tuple[str, str]) -> None:
    body = {"reason": "billed twice",
            "lines": [{"tracking_number": t, "amount": a} for t, a in lines]}  # fmt: skip
    asked = world.admin.post(f"/v1/invoices/{invoice}/adjustments", json=body)
    assert asked.status_code == 201, asked.text
    url = f"/v1/invoices/{invoice}/adjustments/{asked.json()['adjustment_id']}/decision"
    assert world.billing.post(url, json={"approved": True}).status_code == 200


def _detail(world: World, invoice: str) -> dict[str, Any]:
    found: dict[str, Any] = world.admin.get(f"/v1/invoices/{invoice}").json()
    return found


def _credit(world: World, account: dict[str, str]) -> str:
    items = world.admin.get(f"/v1/companies/{world.cid}/accounts").json()["items"]
    return str({f"{a['country']}-{a['number']}": a["credit"] for a in items}[acct(account)])


def test_i3_a_scheduled_payment_is_cancelled_before_its_date(world: World) -> None:
    _with_method(world)
    invoice = world.issue(world.accounts[0])
    payment = _pay(world, invoice, days=5)
    cancelled = world.admin.delete(f"/v1/invoices/{invoice}/payments/{payment}")
    assert cancelled.status_code == 204, cancelled.text
    detail = _detail(world, invoice)
    assert (detail["status"], detail["payments"]) == ("OPEN", [])
    _pay(world, invoice)  # open again: it can be paid


def test_i3_a_payment_made_is_not_cancelled(world: World) -> None:
    _with_method(world)
    invoice = world.issue(world.accounts[0])
    payment = _pay(world, invoice)
    problem(world.admin.delete(f"/v1/invoices/{invoice}/payments/{payment}"), 409, "I3")
    assert _detail(world, invoice)["status"] == "PAID"


def test_i3_a_viewer_may_not_cancel_a_payment(world: World) -> None:
    _with_method(world)
    viewer = world.add_user("vo", "VIEW_ONLY", world.accounts[0])
    invoice = world.issue(world.accounts[0])
    payment = _pay(world, invoice, days=5)
    problem(viewer.delete(f"/v1/invoices/{invoice}/payments/{payment}"), 403, "I3")


def test_i10_an_approval_on_a_paid_invoice_becomes_account_credit(world: World) -> None:
    _with_method(world)
    account = world.accounts[0]
    invoice = world.issue(account, amount="100.00")
    _pay(world, invoice)
    _approve(world, invoice, ("1Z001", "50.00"))
    detail = _detail(world, invoice)
    assert (detail["balance"], detail["credit_to_account"]) == ("0.00", "50.00")
    assert _credit(world, account) == "50.00"


def test_i10_the_credit_is_applied_to_the_next_invoices_once(world: World) -> None:
    _with_method(world)
    account = world.accounts[0]
    paid = world.issue(account, amount="100.00")
    _pay(world, paid)
    _approve(world, paid, ("1Z001", "50.00"))
    first = _detail(world, world.issue(account, amount="30.00"))
    assert (first["balance"], first["credit_applied"]) == ("0.00", "30.00")
    second = _detail(world, world.issue(account, amount="40.00"))
    assert (second["balance"], second["credit_applied"]) == ("20.00", "20.00")
    third = _detail(world, world.issue(account, amount="10.00"))
    assert (third["balance"], third["credit_applied"]) == ("10.00", "0.00")
    assert _credit(world, account) == "0.00"


def test_i10_an_approval_of_everything_cancels_the_scheduled_payment(world: World) -> None:
    _with_method(world)
    invoice = world.issue(world.accounts[0], amount="250.00")
    _pay(world, invoice, days=5)
    _approve(world, invoice, ("1Z001", "125.00"), ("1Z002", "125.00"))
    detail = _detail(world, invoice)
    assert (detail["balance"], detail["payments"]) == ("0.00", [])
    assert _credit(world, world.accounts[0]) == "0.00"


def test_i10_a_partial_approval_requotes_the_scheduled_payment(world: World) -> None:
    _with_method(world)
    invoice = world.issue(world.accounts[0], amount="250.00")
    _pay(world, invoice, days=5)
    _approve(world, invoice, ("1Z001", "100.00"))
    detail = _detail(world, invoice)
    assert detail["balance"] == "150.00"
    assert [p["amount"] for p in detail["payments"]] == ["150.00"]


def _history(world: World) -> dict[str, str]:
    """invoice id -> number, of the billing history's list (API) and its CSV."""
    listed = world.admin.get(f"/v1/companies/{world.cid}/invoices", params={"limit": 500})
    csv_text = world.admin.get(f"/v1/companies/{world.cid}/invoices.csv").text
    items = {i["invoice_id"]: i["invoice_number"] for i in listed.json()["items"]}
    assert all(number in csv_text for number in items.values())
    return items


def test_a7_an_unpaid_invoice_over_a_year_old_stays_in_the_history_until_it_is_paid(
    world: World,
) -> None:
    _with_method(world)
    invoice = world.issue(world.accounts[0], issued=TODAY - timedelta(days=400))
    number = _detail(world, invoice)["invoice_number"]
    assert _history(world)[invoice] == number
    _pay(world, invoice)  # overdue: paid today, and settled
    assert invoice not in _history(world)
    assert number not in world.admin.get(f"/v1/companies/{world.cid}/invoices.csv").text
    assert world.admin.get(f"/v1/invoices/{invoice}").status_code == 404


def test_a7_an_old_invoice_settled_by_an_approval_leaves_the_history(world: World) -> None:
    invoice = world.issue(world.accounts[0], amount="100.00", issued=TODAY - timedelta(days=400))
    assert invoice in _history(world)
    _approve(world, invoice, ("1Z001", "50.00"), ("1Z002", "50.00"))
    assert invoice not in _history(world)
