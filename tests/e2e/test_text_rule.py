"""The text rule over HTTP (API.md, Values; issue 17): a NUL or another control character in
any free text is refused with 422 naming the field, and the store does not move."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

import httpx2 as httpx
import jwt
import pytest
from fastapi.testclient import TestClient

from domain.application import BillingCenter
from domain.text import COMPANY_ADDRESS
from tests.e2e.http import SECRET, As, World, invoice_body, new_account, proven
from tests.samples import a_pdf

NUL = "\u0000"


def head(world: World) -> int:
    center: BillingCenter = world.client.app.state.billing_center  # type: ignore[attr-defined]
    return center.head()


def refused(
    world: World, send: Callable[[], httpx.Response], field: str, rule: str | None = None
) -> dict[str, Any]:
    """`send` answers 422 naming `field` (and `rule`, when given), and writes nothing."""
    before = head(world)
    response = send()
    assert response.status_code == 422, response.text
    body: dict[str, Any] = response.json()
    named = [str(part) for error in body.get("errors", []) for part in error["loc"]]
    assert field in named or body["detail"].startswith(f"{field}:"), body
    assert head(world) == before
    if rule is not None:
        assert body.get("rule") == rule, body
    return body


def method(world: World, **changes: str) -> httpx.Response:
    body = {"holder": "Acme Inc.", "bank_code": "021000021", "account_number": "000123456789"}
    return world.admin.post(f"/v1/companies/{world.cid}/payment-methods", json=body | changes)


def test_r1_a_nul_in_the_company_name_at_enrollment_is_refused(world: World) -> None:
    account = new_account()
    bill = invoice_body(account)
    assert world.billing.post("/v1/invoices", json=bill).status_code == 201
    carol = As(world.client, "carol", seen=world.admin.seen)
    body = {"name": f"Evil{NUL}Corp", "accounts": [proven(account, bill)]}
    refused(world, lambda: carol.post("/v1/companies", json=body), "name", "R1")


@pytest.mark.parametrize("field", ["name", "address"])
def test_r10_a_nul_in_the_company_information_is_refused(world: World, field: str) -> None:
    body = {"name": "Acme", "address": "1 Main St"} | {field: f"x{NUL}y"}
    refused(world, lambda: world.admin.put(f"/v1/companies/{world.cid}", json=body), field, "R10")


def test_r10_a_bidirectional_override_in_the_address_is_refused(world: World) -> None:
    body = {"name": "Acme", "address": "1 Main St\u202etxt.exe"}
    refused(
        world, lambda: world.admin.put(f"/v1/companies/{world.cid}", json=body), "address", "R10"
    )


def test_r5_a_nul_in_a_user_name_is_refused(world: World) -> None:
    body = {"login": "bob", "email": "bob@acme.test", "name": f"Bob{NUL}", "role": "VIEW_ONLY"}
    refused(
        world, lambda: world.admin.post(f"/v1/companies/{world.cid}/users", json=body), "name", "R5"
    )


def test_a3_a_nul_in_the_unenrollment_comment_is_refused(world: World) -> None:
    body = {"accounts": [world.accounts[0]], "reason": "OTHER", "comment": f"bye{NUL}"}
    url = f"/v1/companies/{world.cid}/unenrollment"
    refused(world, lambda: world.admin.post(url, json=body), "comment", "A3")


def test_i4_a_nul_in_the_adjustment_reason_is_refused(world: World) -> None:
    iid = world.issue(world.accounts[0])
    body = {"reason": f"late{NUL}", "lines": [{"tracking_number": "1Z001", "amount": "1.00"}]}
    url = f"/v1/invoices/{iid}/adjustments"
    refused(world, lambda: world.admin.post(url, json=body), "reason", "I4")


def test_i1_a_nul_in_a_line_description_is_refused(world: World) -> None:
    bill = invoice_body(world.accounts[0])
    bill["lines"][0]["description"] = f"Ground{NUL}"
    refused(world, lambda: world.billing.post("/v1/invoices", json=bill), "description", "I1")


@pytest.mark.parametrize("field", ["holder", "bank_code"])
def test_r11_a_nul_in_the_bank_details_is_refused(world: World, field: str) -> None:
    refused(world, lambda: method(world, **{field: f"12{NUL}34"}), field, "R11")


def raw_upload(filename: str) -> dict[str, Any]:
    """A multipart body written by hand: clients escape a NUL in a file name, attackers do not."""
    head = (
        f'--b\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
        "Content-Type: application/pdf\r\n\r\n"
    )
    body = head.encode() + a_pdf() + b"\r\n--b--\r\n"
    return {"content": body, "headers": {"Content-Type": "multipart/form-data; boundary=b"}}


@pytest.mark.parametrize("filename", [f"form{NUL}.pdf", "invoice\u202efdp.exe"])
def test_i7_a_control_or_override_in_a_document_file_name_is_refused(
    world: World, filename: str
) -> None:
    iid = world.issue(world.accounts[0])
    url = f"/v1/invoices/{iid}/documents"
    refused(world, lambda: world.billing.post(url, **raw_upload(filename)), "filename", "I7")


def test_what_is_accepted_reads_back_exactly_in_nfc(world: World) -> None:
    body = {"name": "Cafe\u0301 \u05d3\u200f", "address": "1 Main St\nSpringfield"}
    assert world.admin.put(f"/v1/companies/{world.cid}", json=body).status_code == 200
    shown = world.admin.get(f"/v1/companies/{world.cid}").json()
    assert (shown["name"], shown["address"]) == ("Caf\u00e9 \u05d3\u200f", "1 Main St\nSpringfield")


# --- logins (R5) --------------------------------------------------------------------------


def add(world: World, login: str) -> httpx.Response:
    body = {"login": login, "email": "b@acme.test", "name": "B", "role": "VIEW_ONLY"}
    return world.admin.post(f"/v1/companies/{world.cid}/users", json=body)


def test_r5_admin_and_capital_admin_are_one_login(world: World) -> None:
    assert add(world, "Bob").status_code == 201
    again = add(world, "bob")
    assert again.status_code == 409, again.text
    assert again.json()["rule"] == "R5"


def test_r5_a_capitalised_token_subject_is_the_same_user(world: World) -> None:
    assert add(world, "bob").status_code == 201
    me = As(world.client, "BOB", seen=world.admin.seen).get("/v1/me")
    assert me.json()["login"] == "bob"
    assert me.json()["company"]["company_id"] == world.cid


def test_r5_a_cyrillic_look_alike_login_is_refused(world: World) -> None:
    refused(world, lambda: add(world, "\u0430lice"), "login", "R5")


def test_r5_a_token_whose_subject_is_a_look_alike_is_not_accepted(world: World) -> None:
    assert As(world.client, "\u0430lice").get("/v1/me").status_code == 401


@pytest.mark.parametrize(("field", "value"), [("country", "XX"), ("currency", "ZZZ")])
def test_a1_i1_country_and_currency_codes_must_be_assigned_iso_codes(
    world: World, field: str, value: str
) -> None:
    bill = invoice_body(new_account())
    if field == "country":
        bill["account"]["country"] = value
    else:
        bill["currency"] = value
    body = refused(world, lambda: world.billing.post("/v1/invoices", json=bill), field)
    assert body["rule"] == ("A1" if field == "country" else "I1")


def test_r5_a_login_in_a_path_or_a_body_is_folded_like_every_login(world: World) -> None:
    assert add(world, "bob").status_code == 201
    shown = world.admin.get(f"/v1/companies/{world.cid}/users/BOB")
    assert shown.status_code == 200, shown.text
    assert shown.json()["login"] == "bob"
    role = world.admin.put(f"/v1/companies/{world.cid}/users/Bob/role", json={"role": "VIEW_PAY"})
    assert role.status_code == 200, role.text
    assert world.admin.get(f"/v1/companies/{world.cid}/users/bob").json()["role"] == "VIEW_PAY"


SAME_ORIGIN = {"Origin": "http://testserver"}  # a browser's form post (issue 18)


def console_sign_in(client: TestClient, login: str) -> httpx.Response:
    page = client.get("/console/sign-in")
    csrf = page.text.split('name="csrf_token" value="')[1].split('"')[0]
    form = {"csrf_token": csrf, "login": login}
    return client.post("/console/sign-in", data=form, headers=SAME_ORIGIN, follow_redirects=False)


def test_r5_the_console_signs_in_the_folded_login(api: TestClient) -> None:
    signed = console_sign_in(api, "Alice")
    assert signed.status_code == 303, signed.text
    claims = jwt.decode(signed.cookies["bc_session"], SECRET, algorithms=["HS256"])
    assert claims["sub"] == "alice"


def test_r5_the_console_refuses_a_look_alike_login(api: TestClient) -> None:
    assert console_sign_in(api, "\u0430lice").status_code == 422


def test_i4_a_nul_in_the_decision_comment_is_refused_not_cut(world: World) -> None:
    iid = world.issue(world.accounts[0])
    body = {"reason": "late", "lines": [{"tracking_number": "1Z001", "amount": "1.00"}]}
    adjustment = world.admin.post(f"/v1/invoices/{iid}/adjustments", json=body).json()
    url = f"/v1/invoices/{iid}/adjustments/{adjustment['adjustment_id']}/decision"
    for comment in (f"no{NUL}", "x" * 1001):
        decision: dict[str, Any] = {"approved": False, "comment": comment}
        refused(world, partial(world.billing.post, url, json=decision), "comment", "I4")


def test_the_openapi_states_each_limit_of_the_one_table(world: World) -> None:
    schemas = world.client.get("/openapi.json").json()["components"]["schemas"]
    assert schemas["CompanyDetails"]["properties"]["address"]["maxLength"] == 500
    assert schemas["LineIn"]["properties"]["description"]["maxLength"] == 500
    assert schemas["NewPaymentMethod"]["properties"]["bank_code"]["maxLength"] == 20
    assert schemas["Unenrollment"]["properties"]["comment"]["maxLength"] == 1000
    assert schemas["NewUser"]["properties"]["login"]["maxLength"] == 128


def test_r10_the_console_obeys_the_same_text_rule(world: World) -> None:
    signed = console_sign_in(world.client, "alice")
    assert signed.status_code == 303, signed.text
    url = f"/console/company?seen={max(world.admin.seen)}"  # the read models have the company
    page = world.client.get(url)
    assert f'name="address" maxlength="{COMPANY_ADDRESS.limit}"' in page.text  # the one table
    csrf = page.text.split('name="csrf_token" value="')[1].split('"')[0]
    form = {"csrf_token": csrf, "name": f"Acme{NUL}", "address": "1 Main St"}
    before = head(world)
    answer = world.client.post(url, data=form, headers=SAME_ORIGIN, follow_redirects=False)
    assert answer.status_code == 422, answer.text
    assert head(world) == before
