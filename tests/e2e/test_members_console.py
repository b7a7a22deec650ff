"""Issue 24 in the console (TestClient, SQLite and PostgreSQL), English and French: my
profile (R10), the pending notice (R5), closing the company (R14), an invoice's credit (I10),
cancelling a scheduled payment (I3), old unpaid invoices (A7), and the help."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from tests.e2e.http import TODAY, World, csrf_of
from tests.e2e.test_money import _approve, _detail, _pay, _with_method

SAME_ORIGIN = {"Origin": "http://testserver"}


def _sign_in(client: TestClient, login: str) -> None:
    client.cookies.clear()
    form = {"csrf_token": csrf_of(client.get("/console/sign-in").text), "login": login}
    response = client.post("/console/sign-in", data={**form, "scope": ""}, headers=SAME_ORIGIN)
    assert response.status_code == 200, response.status_code


def _post(client: TestClient, page: str, action: str, form: dict[str, str]) -> str:
    csrf = csrf_of(client.get(page).text)
    answer = client.post(action, data={"csrf_token": csrf, **form}, headers=SAME_ORIGIN)
    assert answer.status_code == 200, answer.text
    return answer.text


def test_r10_my_profile_edits_my_own_name_and_email(world: World) -> None:
    world.add_user("bob", "VIEW_ONLY", world.accounts[0])
    _sign_in(world.client, "bob")
    seen = f"/console/profile?seen={max(world.admin.seen)}"
    page = _post(world.client, seen, "/console/profile/details",
                 {"name": "Bob Builder", "email": "bob@home.test"})  # fmt: skip
    assert "Your profile was updated." in page
    assert "bob@home.test" in page


def test_r5_opening_the_companys_history_in_the_console_makes_a_member(world: World) -> None:
    world.add_user("bob", "VIEW_ONLY", world.accounts[0])
    bob = world.person("bob")
    assert bob.get("/v1/me").json()["pending"]
    _sign_in(world.client, "bob")
    url = f"/console/invoices?seen={max(world.admin.seen)}"
    assert world.client.get(url).status_code == 200
    assert bob.get("/v1/me").json()["pending"] == []


def test_r10_my_profile_is_editable_in_french(world: World) -> None:
    _sign_in(world.client, "alice")
    url = f"/console/profile?seen={max(world.admin.seen)}"
    page = world.client.get(url, headers={"Accept-Language": "fr"}).text
    assert "Modifier mon profil" in page


def test_r14_the_general_administrator_closes_the_company_from_the_console(
    world: World,
) -> None:
    body = {"accounts": world.accounts, "reason": "NO_LONGER_NEEDED"}
    assert world.admin.post(f"/v1/companies/{world.cid}/unenrollment", json=body).is_success
    _sign_in(world.client, "alice")
    page = f"/console/company?seen={max(world.admin.seen)}"
    assert "Close the company" in world.client.get(page).text
    closed = _post(world.client, page, "/console/company/close", {"confirm": "yes"})
    assert "The company was closed." in closed
    assert world.admin.get("/v1/me").json()["company"] is None


def _invoice_page(world: World, invoice: str, lang: str = "en") -> str:
    url = f"/console/invoices/{invoice}?seen={max(world.admin.seen)}"
    page = world.client.get(url, headers={"Accept-Language": lang})
    assert page.status_code == 200, page.text
    return page.text


def test_i10_the_invoice_page_shows_the_credit_it_used_and_the_credit_left(world: World) -> None:
    _with_method(world)
    paid = world.issue(world.accounts[0], amount="100.00")
    _pay(world, paid)
    _approve(world, paid, ("1Z001", "50.00"))
    later = world.issue(world.accounts[0], amount="30.00")
    _sign_in(world.client, "alice")
    assert "Credited to the account" in _invoice_page(world, paid)
    page = _invoice_page(world, later)
    applied = page.split('data-testid="credit-applied">')[1].split("<")[0]
    left = page.split('data-testid="account-credit">')[1].split("<")[0]
    assert ("30.00" in applied, "20.00" in left) == (True, True), (applied, left)
    assert "Crédit utilisé" in _invoice_page(world, later, "fr")


def test_i10_the_accounts_page_shows_each_accounts_credit(world: World) -> None:
    _with_method(world)
    paid = world.issue(world.accounts[0], amount="100.00")
    _pay(world, paid)
    _approve(world, paid, ("1Z001", "50.00"))
    _sign_in(world.client, "alice")
    page = world.client.get(f"/console/accounts?seen={max(world.admin.seen)}").text
    credited, other = (f"{a['country']}-{a['number']}" for a in world.accounts)
    assert page.split(f'data-testid="credit-{credited}">')[1].startswith("50.00"), page
    assert page.split(f'data-testid="credit-{other}">')[1].startswith("—")


def test_i3_a_scheduled_payment_is_cancelled_from_the_console_once_confirmed(
    world: World,
) -> None:
    _with_method(world)
    invoice = world.issue(world.accounts[0])
    _pay(world, invoice, days=5)
    _sign_in(world.client, "alice")
    page = f"/console/invoices/{invoice}?seen={max(world.admin.seen)}"
    assert "Yes, cancel this payment" in world.client.get(page).text
    payment = _detail(world, invoice)["payments"][0]["payment_id"]
    action = f"/console/invoices/{invoice}/payments/{payment}/cancel"
    csrf = csrf_of(world.client.get(page).text)
    unconfirmed = world.client.post(action, data={"csrf_token": csrf}, headers=SAME_ORIGIN)
    assert (unconfirmed.status_code, "I3" in unconfirmed.text) == (422, True)
    assert _detail(world, invoice)["status"] == "PAYMENT_SCHEDULED"
    done = _post(world.client, page, action, {"confirm": "yes"})
    assert "The scheduled payment was cancelled" in done
    assert _detail(world, invoice)["status"] == "OPEN"


def test_i3_a_payment_made_today_offers_no_cancellation(world: World) -> None:
    _with_method(world)
    invoice = world.issue(world.accounts[0])
    _pay(world, invoice)
    _sign_in(world.client, "alice")
    assert "Yes, cancel this payment" not in _invoice_page(world, invoice)


def test_a7_the_console_history_keeps_an_old_unpaid_invoice(world: World) -> None:
    invoice = world.issue(world.accounts[0], issued=TODAY - timedelta(days=400))
    number = _detail(world, invoice)["invoice_number"]
    _sign_in(world.client, "alice")
    history = world.client.get(f"/console/invoices?seen={max(world.admin.seen)}").text
    assert number in history
    assert number in world.client.get("/console/invoices.csv").text


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        (
            "en",
            (
                "still due",
                "cancelled",
                "credit",
                "pending",
                "My profile",
                "close the company",
                "line_accounts",
            ),
        ),
        (
            "fr",
            (
                "encore due",
                "annulé",
                "crédit",
                "en attente",
                "Mon profil",
                "fermer",
                "line_accounts",
            ),
        ),
    ],
)
def test_the_help_mentions_each_feature_of_issue_24(
    world: World, lang: str, words: tuple[str, ...]
) -> None:
    _sign_in(world.client, "alice")
    page = world.client.get("/console/help", headers={"Accept-Language": lang}).text
    assert [w for w in words if w not in page] == []
    assert all(rule in page for rule in ("A7", "A8", "I3", "I10", "R5", "R6", "R10", "R14", "A1"))


@pytest.mark.parametrize(("lang", "said"), [("en", "country"), ("fr", "pays")])
def test_a1_the_console_refuses_an_unassigned_country_code_naming_a1(
    world: World, lang: str, said: str
) -> None:
    _sign_in(world.client, "alice")
    page = f"/console/accounts?seen={max(world.admin.seen)}"
    form = {"country_new": "XX", "number_new": "A9999999", "lob_new": "PACKAGE"}
    form |= {"type_new": "INDIVIDUAL", "invoice_new": "INV-1", "date_new": TODAY.isoformat()}
    form |= {"amount_new": "120.50", "control_new": "C-1"}
    before = world.client.get(page).text
    assert "A1" not in before
    csrf = csrf_of(before)
    headers = {**SAME_ORIGIN, "Accept-Language": lang}
    answer = world.client.post(
        "/console/accounts", data={"csrf_token": csrf, **form}, headers=headers
    )
    assert "A1" in answer.text
    assert said in answer.text.lower()
    held = world.admin.get(f"/v1/companies/{world.cid}/accounts").json()["items"]
    assert len(held) == len(world.accounts)  # nothing changed
