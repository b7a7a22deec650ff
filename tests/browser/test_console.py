"""The seed story walked through the console's pages in English and French (issue 10), with
axe-core on every page and screenshots at desktop and 375 px in var/screenshots."""

from __future__ import annotations

from collections.abc import Iterator

import httpx2 as httpx
import pytest
from playwright.sync_api import Browser

from tests.browser.console import Proof, Server, Visitor, unique

LANGS = ("en", "fr")


@pytest.fixture(params=LANGS)
def visitor(request: pytest.FixtureRequest, browser: Browser, server: Server) -> Iterator[Visitor]:
    """A tab whose browser asks for the language under test (Accept-Language)."""
    lang: str = request.param
    context = browser.new_context(
        locale=lang,
        viewport={"width": 1280, "height": 900},
        extra_http_headers={"Accept-Language": lang},
        accept_downloads=True,
    )
    context.set_default_timeout(15_000)
    try:
        yield Visitor(context.new_page(), server.base, lang)
    finally:
        context.close()


def _enroll(v: Visitor, login: str, name: str, *, a: str, b: str, pa: Proof, pb: Proof) -> None:
    """R1: a person in no company signs in and lands on the enrollment page."""
    v.sign_in(login)
    assert v.page.url.endswith("/console/enroll")
    v.look("enroll")
    v.page.fill("#f-name", name)
    _account_fields(v, 0, a, pa)
    v.submit("form[action='/console/enroll']", button="[name=more]")
    assert v.page.locator("#f-number_1").count() == 1
    _account_fields(v, 1, b, pb)
    v.submit("form[action='/console/enroll']", "billing-history", button=":not([name=more])")
    assert v._("Your company is enrolled. You are its general administrator.") in v.text()
    assert pa.number not in v.text(), "issued before the enrollment (I2)"


def _account_fields(v: Visitor, i: int | str, account: str, proof: Proof) -> None:
    country, _, number = account.partition("-")
    v.page.fill(f"#f-country_{i}", country)
    v.page.fill(f"#f-number_{i}", number)
    v.page.select_option(f"#f-lob_{i}", "FREIGHT")
    assert not v.page.locator(f"#type-box-{i}").is_visible(), "account type only for PACKAGE"
    v.page.fill(f"#f-invoice_{i}", proof.number)
    v.page.fill(f"#f-date_{i}", proof.issued.isoformat())
    v.page.fill(f"#f-amount_{i}", proof.amount)
    v.page.fill(f"#f-control_{i}", proof.control)


def _add_user(v: Visitor, login: str, role: str, account: str) -> None:
    """R5: an Administrator adds a user with a role and granted accounts."""
    v.go("/console/users", "administration")
    v.page.fill("#f-login", login)
    v.page.fill("#f-name", login.split("-", maxsplit=1)[0].title())
    v.page.fill("#f-email", f"{login}@acme.test")
    v.page.select_option("#f-role", role)
    v.page.check(f"form[action='/console/users'] input[value='{account}']")
    v.submit("form[action='/console/users']")
    assert v._("The user was added.") in v.text()


def _change_role(v: Visitor, login: str, role: str) -> None:
    """R3: the Edit link, the new role, Update."""
    v.go(f"/console/users/{login}", "user")
    v.page.select_option("#f-role", role)
    v.submit(f"form[action='/console/users/{login}/role']", "user-updated")
    assert v._("The role was updated.") in v.text()


def _hand_over(v: Visitor, login: str) -> None:
    """R6: the title goes to another user, after a plain warning."""
    v.go("/console/hand-over", "hand-over")
    assert v._("What this means") in v.text()
    v.page.select_option("#f-login", login)
    v.submit("form[action='/console/hand-over']")
    assert v._("The general administrator title was handed over.") in v.text()


def _unenroll(v: Visitor, account: str) -> None:
    """A3: OTHER needs a comment, in the page and (the page's check bypassed) on the server."""
    v.go("/console/accounts", "accounts")
    form = "form[action='/console/accounts/unenroll']"
    v.page.check(f"{form} input[value='{account}']")
    v.page.check("#r-OTHER")
    assert v.page.locator("#f-comment").get_attribute("required") is not None
    v.page.evaluate("document.getElementById('f-comment').removeAttribute('required')")
    v.page.evaluate("document.querySelector('form[data-unenroll]').noValidate = true")
    v.submit(form, "unenroll-refused")
    assert v._("With the reason Other, write a comment that says why.") in v.text()
    v.page.check(f"{form} input[value='{account}']")
    v.page.check("#r-OTHER")
    v.page.fill("#f-comment", "Moving this account to the paper office")
    v.submit(form, "unenrolled")
    assert v._("The accounts were unenrolled. They are billed on paper again.") in v.text()


def _reenroll(v: Visitor, account: str) -> None:
    """A5: re-enroll the selected account."""
    v.go("/console/accounts", "accounts-unenrolled")
    v.page.check(f"form[action='/console/accounts/reenroll'] input[value='{account}']")
    v.submit("form[action='/console/accounts/reenroll']", button="[value=selected]")
    assert v._("The accounts were re-enrolled.") in v.text()


def _add_bank_account(v: Visitor) -> None:
    """R11: the general administrator adds a bank account; only the last 4 digits show."""
    v.go("/console/company", "company")
    v.page.fill("#f-holder", "Acme Treasury")
    v.page.fill("#f-bank_code", "30004")
    v.page.fill("#f-account_number", "FR7630004000031234567890143")
    v.submit("form[action='/console/company/bank-accounts']", "company-bank")
    assert "****0143" in v.text()
    assert "7630004000031234567890143" not in v.page.content()


def _connect_webhook(v: Visitor) -> None:
    """Issue 22: an Administrator connects an endpoint; its secret shows once; its log opens."""
    v.go("/console/webhooks", "webhooks")
    v.page.fill("#f-url", "https://hooks.example.com/billing")
    v.submit("form[action='/console/webhooks']", "webhook-connected")
    assert v.page.inner_text("#webhook-secret").startswith("whsec_")
    v.page.locator("a[href^='/console/webhooks/']").first.click()
    v.page.wait_for_url("**/console/webhooks/*")
    v.look("webhook-log")
    assert v._("Delivery log") in v.text()


def _pay(v: Visitor, proof: Proof) -> None:
    """I3: pay today; a confirmation number comes back."""
    v.go(f"/console/invoices/{proof.invoice_id}", "invoice")
    v.submit(f"form[action='/console/invoices/{proof.invoice_id}/pay']", "invoice-paid")
    assert v._("Payment accepted.") in v.text()
    assert v.page.inner_text("[data-testid=confirmation]").startswith("BC")


def _adjust(v: Visitor, proof: Proof) -> None:
    """I4: dispute one line for part of its amount."""
    v.go(f"/console/invoices/{proof.invoice_id}", "invoice-adjust")
    v.page.check(f"input[name=line][value='1Z{proof.number}B']")
    v.page.fill(f"#f-amount_1Z{proof.number}B", "5.25")
    v.page.fill("#f-reason", "Fuel surcharge billed twice")
    v.submit(f"form[action='/console/invoices/{proof.invoice_id}/adjust']", "invoice-adjusted")
    assert v._("Your adjustment request was sent.") in v.text()


def test_the_seed_story_through_the_console(visitor: Visitor, server: Server) -> None:
    """R1, R3, R5, R6, A3, A5, A6, R11, I3, I4, page by page, in English and in French."""
    v, tag = visitor, unique()
    ada, bob, cleo = f"ada-{tag}".lower(), f"bob-{tag}".lower(), f"cleo-{tag}".lower()
    a, b = f"US-A{tag}", f"US-B{tag}"
    pa, pb = server.issue(a, f"A1{tag}"), server.issue(b, f"B1{tag}")
    _enroll(v, ada, f"Acme {tag}", a=a, b=b, pa=pa, pb=pb)
    due_a, due_b = server.issue(a, f"A2{tag}", days_ago=0), server.issue(b, f"B2{tag}", days_ago=0)
    v.go(f"/console/invoices?seen={due_b.position}", "billing-history")
    assert due_a.number in v.text()
    assert due_b.number in v.text()
    v.go("/console/invoices?sort=amount&dir=asc&status=open", "billing-history-filtered")
    v.go("/console/profile", "profile-admin")
    assert v._("Role") in v.text()
    _add_user(v, bob, "VIEW_ONLY", a)
    _add_user(v, cleo, "VIEW_PAY", a)
    _change_role(v, bob, "ADMINISTRATOR")
    _hand_over(v, bob)
    v.sign_in(bob)
    _unenroll(v, b)
    paper = server.issue(b, f"B3{tag}", days_ago=0)  # issued while unenrolled (A4)
    v.go(f"/console/invoices?seen={paper.position}", "billing-history")
    assert paper.number not in v.text()
    _reenroll(v, b)
    v.go("/console/archive", "archive")
    assert paper.number in v.text()
    assert due_b.number not in v.text()
    v.go(f"/console/invoices/{paper.invoice_id}", "invoice-archive")
    assert v.page.locator("form[action$='/pay']").count() == 0
    assert paper.number not in _history_text(v)
    _add_bank_account(v)
    _connect_webhook(v)
    _pay(v, due_a)
    _adjust(v, due_b)
    v.go(f"/console/users/{cleo}/remove", "remove-user")
    assert v.page.get_by_role("alertdialog").count() == 1
    assert not v.violations, v.violations


def _history_text(v: Visitor) -> str:
    v.go("/console/invoices", "billing-history")
    return v.text()


def test_a_non_admin_sees_no_role_and_no_administration(visitor: Visitor, server: Server) -> None:
    """R7: no role on the profile and no Administration link; the URL answers 403 (R3)."""
    v, tag = visitor, unique()
    ada, dan = f"ada-{tag}".lower(), f"dan-{tag}".lower()
    a = f"US-N{tag}"
    company = server.enroll(ada, a, server.issue(a, f"N1{tag}"))
    proof = server.issue(a, f"N2{tag}", days_ago=0)
    body = {
        "login": dan,
        "email": f"{dan}@x.test",
        "name": "Dan",
        "role": "VIEW_ONLY",
        "accounts": [{"country": "US", "number": f"N{tag}"}],
    }
    server.call("POST", f"/v1/companies/{company}/users", ada, json=body)
    v.sign_in(dan)
    v.go(f"/console/profile?seen={proof.position}", "profile")
    assert v._("Role") not in v.page.inner_text("[data-testid=profile]")
    assert v.page.locator("nav a[href='/console/users']").count() == 0
    v.go("/console/users", "forbidden", status=403)
    v.go("/console/accounts", "accounts-viewer")
    v.go("/console/invoices", "billing-history-viewer")
    assert proof.number in v.text()
    assert not v.violations, v.violations


def test_another_companys_invoice_is_not_found(visitor: Visitor, server: Server) -> None:
    """R4/I2: an invoice of another company answers the not-found page, as the API does."""
    v, tag = visitor, unique()
    mine, theirs = f"US-M{tag}", f"US-T{tag}"
    server.enroll(f"theo-{tag}".lower(), theirs, server.issue(theirs, f"T1{tag}"))
    their_invoice = server.issue(theirs, f"T2{tag}", days_ago=0)
    server.enroll(f"mia-{tag}".lower(), mine, server.issue(mine, f"M1{tag}"))
    v.sign_in(f"mia-{tag}".lower())
    path = f"/console/invoices/{their_invoice.invoice_id}?seen={their_invoice.position}"
    v.go(path, "not-found", status=404)
    assert v._("It does not exist, or it is not one you may see.") in v.text()
    assert not v.violations, v.violations


def test_a_form_without_its_csrf_token_is_refused(visitor: Visitor, server: Server) -> None:
    """Every form carries a CSRF token; without it the server refuses (403) and changes nothing."""
    v, tag = visitor, unique()
    a = f"US-X{tag}"
    server.enroll(f"xena-{tag}".lower(), a, server.issue(a, f"X1{tag}"))
    v.sign_in(f"xena-{tag}".lower())
    v.go("/console/profile", "profile-admin")
    refused = v.page.request.post(
        server.base + "/console/profile/notifications", form={"INVOICE_AVAILABLE": "on"}
    )
    assert refused.status == 403
    v.page.evaluate("document.querySelector('input[name=csrf_token]').remove()")
    forms = "form[action='/console/profile/notifications']"
    v.page.evaluate(f'document.querySelector("{forms} input[name=csrf_token]")?.remove()')
    v.submit(forms, "csrf-refused")
    assert v._("This form has expired. Reload the page and send it again.") in v.text()


def test_console_pages_carry_the_security_headers(server: Server) -> None:
    """CSP, no framing, no referrer; the session cookie is HttpOnly and SameSite=Strict."""
    page = httpx.get(server.base + "/console/sign-in")
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    assert page.headers["x-frame-options"] == "DENY"
    assert page.headers["referrer-policy"] == "no-referrer"
    nonce = page.cookies["bc_nonce"]
    token = page.text.split('name="csrf_token" value="')[1].split('"')[0]
    signed = httpx.post(
        server.base + "/console/sign-in",
        cookies={"bc_nonce": nonce},
        headers={"Origin": server.base},  # as a browser sends it on every POST (issue 18)
        data={"csrf_token": token, "login": "hal"},
        follow_redirects=False,
    )
    cookie = signed.headers["set-cookie"].lower()
    assert "httponly" in cookie
    assert "samesite=strict" in cookie
    assert httpx.get(server.base + "/", follow_redirects=False).headers["location"] == "/console"


def test_auditor_pages(visitor: Visitor, server: Server) -> None:
    """C1-C3 for the auditor principal: log, company as of, who could see, export."""
    v, tag = visitor, unique()
    a = f"US-Q{tag}"
    company = server.enroll(f"quinn-{tag}".lower(), a, server.issue(a, f"Q1{tag}"))
    proof = server.issue(a, f"Q2{tag}", days_ago=0)
    v.sign_in("auditor-1", "auditor")
    assert v.page.url.endswith("/console/audit")
    v.look("audit-log")
    v.go(f"/console/audit?company={company}&seen={proof.position}", "audit-log-company")
    assert "CompanyEnrolled" in v.text()
    v.go(f"/console/audit/company?company={company}", "audit-company")
    assert f"quinn-{tag}".lower() in v.text()
    v.go(f"/console/audit/visibility?invoice={proof.invoice_id}", "audit-visibility")
    assert f"quinn-{tag}".lower() in v.text()
    v.go("/console/audit/export", "audit-export")
    with v.page.expect_download() as download:
        v.page.locator("form[action='/console/audit/export.zip'] button").click()
    assert download.value.suggested_filename == "audit-export.zip"
    assert not v.violations, v.violations
