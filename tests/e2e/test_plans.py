"""Issue 24 item 1, consolidated payment plans (A8), over HTTP on SQLite and PostgreSQL: the
billing system states a plan's members, the plan is enrolled with a proof from one of its
invoices, its lines name the accounts they bill, members see them (R4), A2 across a plan."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from typing import Any

import httpx2 as httpx
import pytest
from fastapi.testclient import TestClient
from pypdf import PdfReader

from api.tokens import Scope
from tests.e2e.http import As, World, acct, invoice_body, new_account, proven
from tests.e2e.test_console_api_keys import signed_in


@dataclass
class PlanWorld:
    """Acme holds a plan of two shipper accounts, and the first of them on its own."""

    world: World
    plan: dict[str, str]
    members: list[dict[str, str]]

    def state(self, *members: dict[str, str], by: As | None = None) -> httpx.Response:
        url = f"/v1/plans/{self.plan['country']}/{self.plan['number']}/accounts"
        return (by or self.world.billing).put(url, json={"accounts": list(members)})

    def accounts(self, who: As | None = None) -> dict[str, dict[str, Any]]:
        url = f"/v1/companies/{self.world.cid}/accounts"
        items = (who or self.world.admin).get(url).json()["items"]
        return {f"{a['country']}-{a['number']}": a for a in items}


def plan_invoice(plan: dict[str, str], *billed: dict[str, str], **extra: Any) -> dict[str, Any]:
    """I1 + A8: an invoice of `plan` whose lines bill `billed` in turn."""
    body = invoice_body(plan, **extra)
    for line, account in zip(body["lines"], billed, strict=False):
        line["account"] = account
    return body


def _refused(response: httpx.Response, status: int, rule: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"] == "application/problem+json"
    assert response.json()["rule"] == rule, response.json()


@pytest.fixture
def plans(api: TestClient) -> PlanWorld:
    billing = As(api, "ledger", Scope.BILLING_SYSTEM)
    plan, first, second = new_account(), new_account(), new_account()
    url = f"/v1/plans/{plan['country']}/{plan['number']}/accounts"
    assert billing.put(url, json={"accounts": [first, second]}).status_code == 200
    bodies = [plan_invoice(plan, first, second), invoice_body(first)]
    for body in bodies:
        assert billing.post("/v1/invoices", json=body).status_code == 201, body
    admin = As(api, "alice", seen=billing.seen)
    enrolling = [
        {**proven(plan, bodies[0]), "account_type": "CONSOLIDATED_PAYMENT_PLAN"},
        proven(first, bodies[1]),
    ]
    created = admin.post("/v1/companies", json={"name": "Acme", "accounts": enrolling})
    assert created.status_code == 201, created.text
    world = World(api, created.json()["company_id"], admin, billing, [plan, first])
    return PlanWorld(world, plan, [first, second])


def test_a8_the_plan_shows_the_shipper_accounts_it_consolidates(plans: PlanWorld) -> None:
    shown = plans.accounts()[acct(plans.plan)]
    assert shown["account_type"] == "CONSOLIDATED_PAYMENT_PLAN"
    assert shown["members"] == sorted(plans.members, key=acct)
    assert plans.accounts()[acct(plans.members[0])]["members"] == []


def test_a8_stating_the_members_again_changes_nothing(plans: PlanWorld) -> None:
    first = plans.state(*plans.members)
    again = plans.state(*reversed(plans.members))
    assert first.status_code == again.status_code == 200, again.text
    assert again.json()["position"] == first.json()["position"]
    assert again.json()["accounts"] == sorted(plans.members, key=acct)


def test_a8_a_new_statement_changes_the_members_shown(plans: PlanWorld) -> None:
    assert plans.state(plans.members[1]).status_code == 200
    assert plans.accounts()[acct(plans.plan)]["members"] == [plans.members[1]]


def test_a8_a_member_that_is_itself_a_plan_is_refused(plans: PlanWorld) -> None:
    _refused(plans.state(plans.members[0], plans.plan), 422, "A8")
    assert plans.accounts()[acct(plans.plan)]["members"] == sorted(plans.members, key=acct)


def test_a8_an_individual_account_is_not_a_plan(plans: PlanWorld) -> None:
    url = f"/v1/plans/US/{plans.members[0]['number']}/accounts"
    _refused(plans.world.billing.put(url, json={"accounts": [new_account()]}), 422, "A8")


def test_a1_a_plan_or_member_in_an_unassigned_country_is_refused(plans: PlanWorld) -> None:
    _refused(plans.state({"country": "XX", "number": "A1"}), 422, "A1")
    url = "/v1/plans/XX/P1/accounts"
    _refused(plans.world.billing.put(url, json={"accounts": []}), 422, "A1")


def test_a8_only_the_billing_system_states_a_plans_members(plans: PlanWorld) -> None:
    response = plans.state(plans.members[0], by=plans.world.admin)
    assert response.status_code == 403, response.text


def test_i1_a8_a_plans_invoice_lines_name_the_accounts_they_bill(plans: PlanWorld) -> None:
    body = plan_invoice(plans.plan, *plans.members)
    issued = plans.world.billing.post("/v1/invoices", json=body)
    assert issued.status_code == 201, issued.text
    detail = plans.world.admin.get(f"/v1/invoices/{issued.json()['invoice_id']}").json()
    assert [line["account"] for line in detail["lines"]] == plans.members


def test_i1_a8_a_line_billing_no_member_of_the_plan_is_refused(plans: PlanWorld) -> None:
    body = plan_invoice(plans.plan, plans.members[0], new_account())
    _refused(plans.world.billing.post("/v1/invoices", json=body), 422, "A8")
    _refused(plans.world.billing.post("/v1/invoices", json=invoice_body(plans.plan)), 422, "A8")


def test_a2_a8_a_member_of_an_enrolled_plan_is_not_enrolled_elsewhere(plans: PlanWorld) -> None:
    member = plans.members[1]
    body = invoice_body(member)
    assert plans.world.billing.post("/v1/invoices", json=body).status_code == 201
    zoe = As(plans.world.client, "zoe", seen=plans.world.billing.seen)
    response = zoe.post("/v1/companies", json={"name": "Z", "accounts": [proven(member, body)]})
    _refused(response, 409, "A2")


def test_r4_a8_granting_the_plan_shows_its_members_the_company_holds(plans: PlanWorld) -> None:
    viewer = plans.world.add_user("vic", "VIEW_ONLY", plans.plan)
    assert set(plans.accounts(viewer)) == {acct(plans.plan), acct(plans.members[0])}
    own = plans.world.issue(plans.members[0])
    assert viewer.get(f"/v1/invoices/{own}").status_code == 200


def test_c2_explain_access_names_the_plan_that_shows_a_member(plans: PlanWorld) -> None:
    plans.world.add_user("vic", "VIEW_ONLY", plans.plan)
    own = plans.world.issue(plans.members[0])
    auditor = As(plans.world.client, "ada", Scope.AUDITOR, seen=plans.world.admin.seen)
    body = auditor.get(f"/v1/audit/invoices/{own}/visibility").json()
    vic = next(r for r in body["could_see"] if r["login"] == "vic")
    access = next(step for step in vic["because"] if step.get("rule") == "R4")
    assert (access["reason"], access["plan"]) == ("PLAN", acct(plans.plan))


def test_a8_the_console_account_page_shows_plans_with_their_members(plans: PlanWorld) -> None:
    client = signed_in(plans.world, "alice")
    page = client.get("/console/accounts").text
    listed = page.split(f'data-plan-members="{acct(plans.plan)}"')[1].split("</ul>")[0]
    assert [acct(m) in listed for m in plans.members] == [True, True]
    assert "Consolidated payment plans" in page


def test_a8_the_console_shows_plans_in_french(plans: PlanWorld) -> None:
    client = signed_in(plans.world, "alice")
    page = client.get("/console/accounts", headers={"Accept-Language": "fr"}).text
    assert "Plans de paiement consolidés" in page
    assert acct(plans.members[1]) in page


def test_a8_the_console_invoice_shows_the_account_each_line_bills(plans: PlanWorld) -> None:
    body = plan_invoice(plans.plan, *plans.members)
    issued = plans.world.billing.post("/v1/invoices", json=body)
    client = signed_in(plans.world, "alice")
    client.params = {"seen": str(issued.json()["position"])}
    page = client.get(f"/console/invoices/{issued.json()['invoice_id']}").text
    cells = [cell.split("<")[0] for cell in page.split("data-line-account>")[1:]]
    assert cells == [acct(m) for m in plans.members]


def _csv_cells(text: str) -> dict[str, str]:
    """Invoice number -> its `line_accounts` cell, from the history's CSV."""
    rows = list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"))))
    return {row["invoice_number"]: row["line_accounts"] for row in rows}


def test_a8_the_csv_lists_the_accounts_each_invoice_s_lines_bill(plans: PlanWorld) -> None:
    body = plan_invoice(plans.plan, *plans.members, invoice_number="PLAN-CSV")
    assert plans.world.billing.post("/v1/invoices", json=body).status_code == 201
    own = invoice_body(plans.members[0], invoice_number="OWN-CSV")
    assert plans.world.billing.post("/v1/invoices", json=own).status_code == 201
    api_csv = plans.world.admin.get(f"/v1/companies/{plans.world.cid}/invoices.csv").text
    console = signed_in(plans.world, "alice")
    console.params = {"seen": str(max(plans.world.billing.seen))}
    for text in (api_csv, console.get("/console/invoices.csv").text):
        cells = _csv_cells(text)
        assert cells["PLAN-CSV"] == ";".join(acct(m) for m in plans.members)
        assert cells["OWN-CSV"] == ""


def test_a8_the_invoice_pdf_names_the_account_each_line_bills(plans: PlanWorld) -> None:
    body = plan_invoice(plans.plan, *plans.members)
    issued = plans.world.billing.post("/v1/invoices", json=body).json()
    pdf = plans.world.admin.get(f"/v1/invoices/{issued['invoice_id']}/pdf")
    assert pdf.headers["Content-Type"] == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages)
    assert [acct(m) in text for m in plans.members] == [True, True]
