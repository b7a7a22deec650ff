"""Helpers for the browser tests: the server's API for setting the scene, and a visitor that
screenshots every page (desktop and 375 px) and checks it with axe-core."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import uuid4

import httpx2 as httpx
from axe_playwright_python.sync_playwright import Axe  # type: ignore[import-untyped]
from playwright.sync_api import Page, ViewportSize

from api.tokens import Scope, issue_token
from api.web.i18n import translations

SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
DESKTOP: ViewportSize = {"width": 1280, "height": 900}
PHONE: ViewportSize = {"width": 375, "height": 800}
SERIOUS = frozenset({"serious", "critical"})
TODAY = datetime.now(UTC).date()
_axe = Axe()
_looked: set[tuple[str, str]] = set()
"""Pages already photographed and checked in this process (each once per language)."""


@dataclass(frozen=True)
class Proof:
    """What an invoice prints, to prove its account (A1)."""

    invoice_id: str
    position: int
    number: str
    issued: date
    amount: str
    control: str


@dataclass(frozen=True)
class Server:
    """The running service: its address and the secret its tokens are signed with."""

    base: str
    secret: str
    env: dict[str, str] = field(default_factory=dict)
    """Its environment (BILLING_*), for the CLI and for a BillingCenter on the same store."""

    def call(
        self, method: str, path: str, login: str, scope: Scope | None = None, **kwargs: Any
    ) -> httpx.Response:
        token = issue_token(self.secret, login, scope=scope, email=f"{login}@x.test", name=login)
        headers = {"Authorization": f"Bearer {token}"}
        answer = httpx.request(method, self.base + path, headers=headers, timeout=10, **kwargs)
        assert answer.status_code < 400, answer.text
        return answer

    def issue(self, account: str, number: str, *, days_ago: int = 5) -> Proof:
        """The billing system issues a two-line invoice for `account` (I1)."""
        issued = TODAY - timedelta(days=days_ago)
        country, _, acct = account.partition("-")
        body = {
            "account": {"country": country, "number": acct},
            "invoice_number": number,
            "control_id": f"C{number}",
            "issue_date": issued.isoformat(),
            "due_date": (TODAY + timedelta(days=20)).isoformat(),
            "currency": "USD",
            "amount": "120.50",
            "lines": [
                {"tracking_number": f"1Z{number}A", "description": "Ground", "amount": "100.00"},
                {"tracking_number": f"1Z{number}B", "description": "Fuel", "amount": "20.50"},
            ],
        }
        made = self.call("POST", "/v1/invoices", "billing", Scope.BILLING_SYSTEM, json=body)
        answer = made.json()
        return Proof(
            answer["invoice_id"], answer["position"], number, issued, "120.50", f"C{number}"
        )

    def enroll(self, login: str, account: str, proof: Proof) -> str:
        """A person enrolls a company through the API (for another company's invoices)."""
        country, _, number = account.partition("-")
        body = {
            "name": f"Other {login}",
            "accounts": [
                {
                    "country": country,
                    "number": number,
                    "line_of_business": "FREIGHT",
                    "proof": {
                        "invoice_number": proof.number,
                        "invoice_date": proof.issued.isoformat(),
                        "amount": proof.amount,
                        "control_id": proof.control,
                    },
                }
            ],
        }
        company: str = self.call("POST", "/v1/companies", login, json=body).json()["company_id"]
        return company


def unique() -> str:
    """A short suffix that keeps each run's logins and accounts apart."""
    return uuid4().hex[:6].upper()


@dataclass
class Visitor:
    """One browser tab in one language; every page it lands on is photographed and checked."""

    page: Page
    base: str
    lang: str
    seen: list[str] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)

    def _(self, message: str) -> str:
        return translations(self.lang).gettext(message)

    def go(self, path: str, name: str, status: int = 200) -> None:
        """Open `path`, expect `status`, then photograph and check the page as `name`."""
        answer = self.page.goto(self.base + path)
        assert answer is not None
        assert answer.status == status, f"{path}: {answer.status}"
        self.look(name)

    def look(self, name: str) -> None:
        """Screenshots at desktop and 375 px, and axe-core's serious/critical violations."""
        if (name, self.lang) in _looked:
            return
        _looked.add((name, self.lang))
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        stem = f"{name}-{self.lang}"
        self.page.screenshot(path=SCREENSHOTS / f"{stem}-desktop.png", full_page=True)
        self.page.set_viewport_size(PHONE)
        self.page.screenshot(path=SCREENSHOTS / f"{stem}-375.png", full_page=True)
        wide = self.page.evaluate("document.documentElement.scrollWidth")
        assert wide <= PHONE["width"], f"{name} scrolls sideways at 375 px ({wide} px)"
        self.page.set_viewport_size(DESKTOP)
        self.seen.append(name)
        self._axe(name)

    def _axe(self, name: str) -> None:
        results = _axe.run(self.page)
        for violation in results.response["violations"]:
            if violation["impact"] in SERIOUS:
                targets = [n["target"] for n in violation["nodes"]][:3]
                self.violations.append(f"{name}: {violation['id']} {targets}")

    def submit(self, form: str, name: str | None = None, *, button: str = "") -> None:
        """Press the submit button of the form `form` (a CSS selector) and look at the result."""
        selector = f"{form} button[type=submit]{button}"
        with self.page.expect_navigation():
            self.page.locator(selector).first.click()
        if name:
            self.look(name)

    def sign_in(self, login: str, scope: str = "") -> None:
        """The development sign-in page: type the login id and press Enter."""
        self.page.context.clear_cookies()
        self.go("/console/sign-in", "sign-in")
        self.page.fill("#f-login", login)
        self.page.fill("#f-name", login.split("-", maxsplit=1)[0].title())
        if scope:
            self.page.select_option("#f-scope", scope)
        with self.page.expect_navigation():
            self.page.press("#f-login", "Enter")

    def text(self) -> str:
        return self.page.inner_text("main")
