"""Each rule of DOMAIN.md through HTTP, its happy path and its refusals (SQLite, PostgreSQL).

Statuses per API.md: 403 a missing role/scope/title, 404 what the caller may not see,
409 a state that forbids it, 422 malformed input or a value a rule refuses; the problem
names the rule.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx2 as httpx
from fastapi.testclient import TestClient

from tests.e2e.http import TODAY, World, acct, enroll, invoice_body, new_account, problem, proven


def _users(world: World) -> dict[str, Any]:
    items = world.admin.get(f"/v1/companies/{world.cid}/users").json()["items"]
    return {u["login"]: u for u in items}


# --- R1 enrollment, A1 proof, A2 one company at a time -----------------------------------


def test_r1_enrolling_makes_the_person_general_administrator(world: World) -> None:
    company = world.admin.get(f"/v1/companies/{world.cid}").json()
    assert company["general_administrator"] == "alice"
    assert company["accounts"] == 2
    me = world.admin.get("/v1/me").json()
    assert me["role"] == "ADMINISTRATOR"
    assert me["email"] == "alice@acme.test"


def test_r1_every_write_answers_its_position_in_body_and_header(world: World) -> None:
    response = world.admin.put(f"/v1/companies/{world.cid}", json={"name": "Acme Corp"})
    assert response.status_code == 200
    assert response.json()["position"] == int(response.headers["X-Position"])
    assert response.json()["name"] == "Acme Corp"


def test_a1_a_wrong_proof_is_refused_without_naming_the_field(api: TestClient) -> None:
    world = enroll(api)
    key = new_account()
    body = invoice_body(key)
    world.billing.post("/v1/invoices", json=body)
    account = proven(key, body)
    details = set()
    for field, value in (("amount", "1.00"), ("control_id", "WRONG")):
        wrong = {**account, "proof": {**account["proof"], field: value}}
        response = world.admin.post(f"/v1/companies/{world.cid}/accounts", json=wrong)
        details.add(problem(response, 422, "A1")["detail"])
        assert "errors" not in response.json()
    assert len(details) == 1


def test_a1_an_account_without_a_recent_invoice_cannot_be_added(world: World) -> None:
    key = new_account()
    old = invoice_body(key, issued=TODAY - timedelta(days=60))
    world.billing.post("/v1/invoices", json=old)
    response = world.admin.post(f"/v1/companies/{world.cid}/accounts", json=proven(key, old))
    assert "45 days" in problem(response, 422, "A1")["detail"]


def test_a1_an_account_type_is_refused_outside_package(world: World) -> None:
    key = new_account()
    body = invoice_body(key)
    world.billing.post("/v1/invoices", json=body)
    account = {**proven(key, body), "line_of_business": "FREIGHT"}
    response = world.admin.post(f"/v1/companies/{world.cid}/accounts", json=account)
    problem(response, 422, "A1")


def test_a2_an_account_held_by_another_company_is_refused(api: TestClient) -> None:
    acme = enroll(api, "alice")
    beta = enroll(api, "zed", accounts=1)
    body = invoice_body(acme.accounts[0])
    acme.billing.post("/v1/invoices", json=body)
    response = beta.admin.post(
        f"/v1/companies/{beta.cid}/accounts", json=proven(acme.accounts[0], body)
    )
    problem(response, 409, "A2")


def test_r5_a_person_already_in_a_company_cannot_enroll_another(world: World) -> None:
    key = new_account()
    body = invoice_body(key)
    world.billing.post("/v1/invoices", json=body)
    response = world.admin.post(
        "/v1/companies", json={"name": "B", "accounts": [proven(key, body)]}
    )
    problem(response, 409, "R5")


# --- R3-R7, R9, R10 users ----------------------------------------------------------------


def test_r5_adding_a_login_of_another_company_is_refused(api: TestClient) -> None:
    acme = enroll(api, "alice")
    enroll(api, "zed", accounts=1)
    body = {"login": "zed", "email": "z@x.test", "name": "Z", "role": "VIEW_ONLY"}
    problem(acme.admin.post(f"/v1/companies/{acme.cid}/users", json=body), 409, "R5")


def test_r5_removing_needs_confirmation_and_ends_access_at_once(world: World) -> None:
    bob = world.add_user("bob", "VIEW_ONLY", world.accounts[0])
    url = f"/v1/companies/{world.cid}/users/bob"
    problem(world.admin.delete(url), 422, "R5")
    removed = world.admin.delete(url, params={"confirm": "true"})
    assert removed.status_code == 204
    assert removed.content == b""
    assert int(removed.headers["X-Position"]) > 0
    problem(bob.get(f"/v1/companies/{world.cid}/invoices"), 404, None)


def test_r6_the_general_administrator_is_locked_until_the_title_is_handed_over(
    world: World,
) -> None:
    world.add_user("bob", "VIEW_ONLY", world.accounts[0])
    role = world.admin.put(
        f"/v1/companies/{world.cid}/users/alice/role", json={"role": "VIEW_ONLY"}
    )
    problem(role, 409, "R6")
    handed = world.admin.post(
        f"/v1/companies/{world.cid}/general-administrator", json={"login": "bob"}
    )
    assert handed.json()["general_administrator"] == "bob"
    users = _users(world)
    assert users["bob"]["role"] == "ADMINISTRATOR"
    assert users["bob"]["general_administrator"] is True


def test_r6_the_title_goes_to_a_user_of_the_company(world: World) -> None:
    response = world.admin.post(
        f"/v1/companies/{world.cid}/general-administrator", json={"login": "stranger"}
    )
    problem(response, 404, "R6")


def test_r7_a_user_sees_their_own_profile_without_a_role(world: World) -> None:
    bob = world.add_user("bob", "VIEW_PAY", world.accounts[0])
    profile = bob.get(f"/v1/companies/{world.cid}/users/bob").json()
    assert profile["role"] is None
    assert profile["email"] == "bob@acme.test"
    problem(bob.get(f"/v1/companies/{world.cid}/users/alice"), 403, "R7")
    assert bob.get("/v1/me").json()["role"] is None


def test_r9_a_plan_manager_sees_and_manages_only_users_within_its_accounts(world: World) -> None:
    a, b = world.accounts
    pm = world.add_user("pm", "PLAN_MANAGER", a)
    world.add_user("inside", "VIEW_ONLY", a)
    world.add_user("outside", "VIEW_ONLY", b)
    logins = {u["login"] for u in pm.get(f"/v1/companies/{world.cid}/users").json()["items"]}
    assert logins == {"inside"}
    problem(pm.get(f"/v1/companies/{world.cid}/users/outside"), 404, None)
    top = pm.put(f"/v1/companies/{world.cid}/users/inside/role", json={"role": "PLAN_MANAGER"})
    problem(top, 403, "R9")
    grant = pm.put(f"/v1/companies/{world.cid}/users/inside/accounts", json={"accounts": [a, b]})
    problem(grant, 403, "R9")


def test_r4_grants_decide_what_a_user_sees(world: World) -> None:
    a, b = world.accounts
    bob = world.add_user("bob", "VIEW_ONLY", a)
    world.issue(a)
    world.issue(b)
    seen = bob.get(f"/v1/companies/{world.cid}/invoices").json()["items"]
    assert {i["account"]["number"] for i in seen} == {a["number"]}
    world.admin.put(f"/v1/companies/{world.cid}/users/bob/accounts", json={"accounts": [b]})
    seen = bob.get(f"/v1/companies/{world.cid}/invoices").json()["items"]
    assert {i["account"]["number"] for i in seen} == {b["number"]}
    accounts = bob.get(f"/v1/companies/{world.cid}/accounts").json()["items"]
    assert [x["number"] for x in accounts] == [b["number"]]


def test_r8_a_user_sets_their_own_notification_preferences(world: World) -> None:
    body = {"INVOICE_AVAILABLE": False, "PAYMENT_RECEIVED": True, "ADJUSTMENT_UPDATED": True}
    response = world.admin.put("/v1/me/notification-preferences", json=body)
    assert response.status_code == 200
    assert response.json()["INVOICE_AVAILABLE"] is False
    partial = world.admin.put("/v1/me/notification-preferences", json={"INVOICE_AVAILABLE": 1})
    assert partial.status_code == 422


def test_r10_administrators_keep_profiles_up_to_date(world: World) -> None:
    world.add_user("bob", "VIEW_ONLY", world.accounts[0])
    url = f"/v1/companies/{world.cid}/users/bob"
    changed = world.admin.put(url, json={"email": "robert@acme.test", "name": "Robert"})
    assert changed.json()["name"] == "Robert"
    assert world.admin.get(url).json()["email"] == "robert@acme.test"
    problem(world.admin.put(url, json={"email": "not-an-email", "name": "R"}), 422, "R5")


# --- R11 payment methods -----------------------------------------------------------------


def test_r11_numbers_are_masked_and_the_first_method_is_the_default(world: World) -> None:
    url = f"/v1/companies/{world.cid}/payment-methods"
    first = world.admin.post(
        url, json={"holder": "A", "bank_code": "1", "account_number": "000123456789"}
    )
    assert first.status_code == 201
    second = world.admin.post(
        url, json={"holder": "A", "bank_code": "1", "account_number": "99991111"}
    )
    methods = world.admin.get(url).json()["items"]
    assert {m["account_number"] for m in methods} == {"****6789", "****1111"}
    assert [
        m["default"] for m in methods if m["payment_method_id"] == first.json()["payment_method_id"]
    ] == [True]
    made = world.admin.put(f"{url}/{second.json()['payment_method_id']}/default")
    assert made.json()["default"] is True


def test_r11_paying_without_a_payment_method_is_refused(world: World) -> None:
    invoice = world.issue(world.accounts[0])
    problem(world.admin.post(f"/v1/invoices/{invoice}/payments", json={}), 409, "R11")


def test_r11_a_method_an_automatic_payment_relies_on_cannot_be_removed(world: World) -> None:
    url = f"/v1/companies/{world.cid}/payment-methods"
    pmid = world.admin.post(
        url, json={"holder": "A", "bank_code": "1", "account_number": "12345678"}
    ).json()["payment_method_id"]
    autopay = f"/v1/companies/{world.cid}/accounts/{acct(world.accounts[0])}/autopay"
    assert world.admin.put(autopay, json={"days_before_due": 3}).status_code == 200
    problem(world.admin.delete(f"{url}/{pmid}"), 409, "R11")
    assert world.admin.delete(autopay).status_code == 204
    assert world.admin.delete(f"{url}/{pmid}").status_code == 204


# --- A3-A7 unenrollment, re-enrollment, archive ------------------------------------------


def _unenroll(world: World, account: dict[str, str], **extra: Any) -> httpx.Response:
    body = {"accounts": [account], "reason": "PREFER_PAPER", **extra}
    return world.admin.post(f"/v1/companies/{world.cid}/unenrollment", json=body)


def test_a3_other_needs_a_comment(world: World) -> None:
    problem(_unenroll(world, world.accounts[0], reason="OTHER"), 422, "A3")
    done = _unenroll(world, world.accounts[0], reason="OTHER", comment="audit season")
    assert done.json()["status"] == "UNENROLLED"


def test_a3_an_account_already_unenrolled_refuses_the_whole_request(world: World) -> None:
    a, b = world.accounts
    assert _unenroll(world, a).status_code == 200
    both = {"accounts": [a, b], "reason": "PREFER_PAPER"}
    problem(world.admin.post(f"/v1/companies/{world.cid}/unenrollment", json=both), 409, "A3")
    statuses = world.admin.get(f"/v1/companies/{world.cid}/accounts").json()["items"]
    assert {x["number"]: x["status"] for x in statuses}[b["number"]] == "ENROLLED"


def test_a4_a6_an_invoice_issued_while_unenrolled_shows_on_the_archive_after_reenrollment(
    world: World,
) -> None:
    a = world.accounts[0]
    before = world.issue(a)
    _unenroll(world, a)
    meanwhile = world.issue(a)
    history = f"/v1/companies/{world.cid}/invoices"
    assert [i["invoice_id"] for i in world.admin.get(history).json()["items"]] == [before]
    accounts = world.admin.get(f"/v1/companies/{world.cid}/accounts").json()["items"]
    assert {x["number"]: x["paper_invoices"] for x in accounts}[a["number"]] is True
    again = world.admin.post(f"/v1/companies/{world.cid}/reenrollment", json={})
    assert again.json()["accounts"] == [a]
    archive = world.admin.get(f"{history}/archive").json()["items"]
    assert [(i["invoice_id"], i["section"]) for i in archive] == [(meanwhile, "ARCHIVE")]
    detail = world.admin.get(f"/v1/invoices/{meanwhile}").json()
    assert detail["section"] == "ARCHIVE"
    problem(world.admin.post(f"/v1/invoices/{meanwhile}/payments", json={}), 409, "A6")


def test_a5_reenrolling_an_enrolled_account_is_refused(world: World) -> None:
    body = {"accounts": [world.accounts[0]]}
    response = world.admin.post(f"/v1/companies/{world.cid}/reenrollment", json=body)
    problem(response, 409, "A5")


def test_i2_invoices_issued_before_enrollment_are_never_visible(world: World) -> None:
    items = world.admin.get(f"/v1/companies/{world.cid}/invoices").json()["items"]
    assert items == []


# --- I1, I3, I4, I6 invoices -------------------------------------------------------------


def test_i1_an_invoice_number_is_unique_per_account(world: World) -> None:
    body = invoice_body(world.accounts[0], invoice_number="DUP-1")
    assert world.billing.post("/v1/invoices", json=body).status_code == 201
    problem(world.billing.post("/v1/invoices", json=body), 409, "I1")


def test_i1_lines_must_add_up_to_the_amount(world: World) -> None:
    body = invoice_body(world.accounts[0])
    body["amount"] = "999.99"
    problem(world.billing.post("/v1/invoices", json=body), 422, "I1")


def test_i1_the_invoice_detail_has_lines_and_decimal_strings(world: World) -> None:
    invoice = world.issue(world.accounts[0], amount="120.50")
    detail = world.admin.get(f"/v1/invoices/{invoice}").json()
    assert (detail["amount"], detail["balance"], detail["status"]) == ("120.50", "120.50", "OPEN")
    assert [x["tracking_number"] for x in detail["lines"]] == ["1Z001", "1Z002"]
    assert detail["account"] == world.accounts[0]
    assert detail["issue_date"] == TODAY.isoformat()


def _with_method(world: World) -> None:
    world.admin.post(
        f"/v1/companies/{world.cid}/payment-methods",
        json={"holder": "A", "bank_code": "1", "account_number": "12345678"},
    )


def test_i3_a_payment_settles_the_whole_balance_once(world: World) -> None:
    _with_method(world)
    invoice = world.issue(world.accounts[0])
    paid = world.admin.post(f"/v1/invoices/{invoice}/payments", json={})
    assert paid.status_code == 201
    assert paid.json()["confirmation_number"]
    problem(world.admin.post(f"/v1/invoices/{invoice}/payments", json={}), 409, "I3")
    detail = world.admin.get(f"/v1/invoices/{invoice}").json()
    assert (detail["status"], detail["balance"]) == ("PAID", "0.00")


def test_i3_a_payment_is_scheduled_up_to_the_due_date_and_no_later(world: World) -> None:
    _with_method(world)
    invoice = world.issue(world.accounts[0])
    late = (TODAY + timedelta(days=31)).isoformat()
    url = f"/v1/invoices/{invoice}/payments"
    problem(world.admin.post(url, json={"pay_on": late}), 422, "I3")
    soon = (TODAY + timedelta(days=5)).isoformat()
    assert world.admin.post(url, json={"pay_on": soon}).json()["status"] == "PAYMENT_SCHEDULED"


def test_i3_a_viewer_may_not_pay(world: World) -> None:
    viewer = world.add_user("vo", "VIEW_ONLY", world.accounts[0])
    invoice = world.issue(world.accounts[0])
    problem(viewer.post(f"/v1/invoices/{invoice}/payments", json={}), 403, "I3")


def test_i4_an_adjustment_is_requested_then_approved_crediting_the_balance(world: World) -> None:
    invoice = world.issue(world.accounts[0], amount="100.00")
    body = {"reason": "billed twice", "lines": [{"tracking_number": "1Z001", "amount": "10.00"}]}
    asked = world.admin.post(f"/v1/invoices/{invoice}/adjustments", json=body)
    assert asked.status_code == 201
    problem(world.admin.post(f"/v1/invoices/{invoice}/adjustments", json=body), 409, "I4")
    aid = asked.json()["adjustment_id"]
    decided = world.billing.post(
        f"/v1/invoices/{invoice}/adjustments/{aid}/decision", json={"approved": True}
    )
    assert decided.json()["status"] == "APPROVED"
    assert world.admin.get(f"/v1/invoices/{invoice}").json()["balance"] == "90.00"


def test_i4_a_line_cannot_be_disputed_for_more_than_it_costs(world: World) -> None:
    invoice = world.issue(world.accounts[0], amount="100.00")
    body = {"reason": "x", "lines": [{"tracking_number": "1Z001", "amount": "50.01"}]}
    problem(world.admin.post(f"/v1/invoices/{invoice}/adjustments", json=body), 422, "I4")


def test_i6_an_automatic_payment_pays_invoices_issued_after_it(world: World) -> None:
    _with_method(world)
    url = f"/v1/companies/{world.cid}/accounts/{acct(world.accounts[0])}/autopay"
    set_up = world.admin.put(url, json={"days_before_due": 5})
    assert set_up.json()["set_up_by"] == "alice"
    invoice = world.issue(world.accounts[0])
    assert world.admin.get(f"/v1/invoices/{invoice}").json()["status"] == "PAYMENT_SCHEDULED"
    accounts = world.admin.get(f"/v1/companies/{world.cid}/accounts").json()["items"]
    autopay = {x["number"]: x["autopay"] for x in accounts}[world.accounts[0]["number"]]
    assert autopay == {"days_before_due": 5, "set_up_by": "alice"}


def test_i6_cancelling_a_missing_automatic_payment_is_refused(world: World) -> None:
    url = f"/v1/companies/{world.cid}/accounts/{acct(world.accounts[0])}/autopay"
    problem(world.admin.delete(url), 409, "I6")
