"""Issue 17, contract deviations: what API.md says about bodies, instants, dates and 405.

Undecodable JSON is 422 problem+json; instants are RFC 3339 with an offset only; printed
dates lie in 2000-01-01..2099-12-31 (never a 500, autopay or not); a 405 lists every
method its path takes.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from api.tokens import Scope
from tests.e2e.http import As, World, acct, invoice_body, token

UNDECODABLE = (
    b'{"name": "\xff", "address": "x"}',
    b'{"name": "\xed\xa0\x80", "address": "x"}',
    b'{"name": "Acme", "address": "x',
    b"\xff\xfe{}",
    b"[1, 2]",
    b'"Acme"',
    b"12",
    b"null",
)
NOT_RFC3339 = (
    "1900000000",
    "1900000000.5",
    "2025-06-15T12:00:00",
    "2025-06-15",
    "0001-01-01T00:00:00+14:00",
    "9999-12-31T23:59:59-14:00",
    "2025-06-15 12:00:00Z",
)


def _problem(answer: object, status: int) -> None:
    assert getattr(answer, "status_code") == status, getattr(answer, "text")  # noqa: B009
    assert getattr(answer, "headers")["content-type"] == "application/problem+json"  # noqa: B009


@pytest.mark.parametrize("body", UNDECODABLE)
def test_a_body_that_is_not_a_json_object_in_utf8_is_422(world: World, body: bytes) -> None:
    answer = world.admin.put(f"/v1/companies/{world.cid}", content=body,
                             headers={"Content-Type": "application/json"})  # fmt: skip
    _problem(answer, 422)


def test_an_undecodable_invoice_changes_nothing(world: World) -> None:
    answer = world.billing.post("/v1/invoices", content=b'{"account": "\xc3\x28"}',
                                headers={"Content-Type": "application/json"})  # fmt: skip
    _problem(answer, 422)
    assert "X-Position" not in answer.headers


def _auditor(world: World) -> As:
    return As(world.client, "inspector", Scope.AUDITOR)


def _instant_urls(world: World) -> list[tuple[str, str]]:
    invoice = world.issue(world.accounts[0])
    return [
        (f"/v1/audit/companies/{world.cid}", "as_of"),
        (f"/v1/audit/invoices/{invoice}/visibility", "at"),
        ("/v1/audit/export", "from"),
        ("/v1/audit/export", "to"),
    ]


def test_instants_are_rfc3339_with_an_offset_only(world: World) -> None:
    auditor = _auditor(world)
    for url, name in _instant_urls(world):
        for value in NOT_RFC3339:
            _problem(auditor.get(url, params={name: value}), 422)


def test_an_rfc3339_instant_is_accepted(world: World) -> None:
    auditor = _auditor(world)
    urls = _instant_urls(world)
    now = datetime.now(UTC)
    for url, name in urls:
        for value in (now.isoformat(), now.strftime("%Y-%m-%dT%H:%M:%S.%fZ")):
            assert auditor.get(url, params={name: value}).status_code == 200, (url, name, value)


@pytest.mark.parametrize(
    ("method", "path", "expected"),
    [
        ("DELETE", "", {"GET", "PUT"}),
        ("PATCH", "/accounts", {"GET", "POST"}),
        ("PATCH", "/users/alice", {"GET", "PUT", "DELETE"}),
        ("GET", "/unenrollment", {"POST"}),
    ],
)
def test_405_lists_every_method_of_the_path(
    world: World, method: str, path: str, expected: set[str]
) -> None:
    answer = world.admin.request(method, f"/v1/companies/{world.cid}{path}")
    _problem(answer, 405)
    allowed = {m.strip() for m in answer.headers["Allow"].split(",")}
    assert expected <= allowed, allowed


@pytest.mark.parametrize(
    ("issue_date", "due_date"),
    [("0001-01-01", "0001-01-02"), ("1999-12-31", "2000-01-31"), ("2099-12-01", "2100-01-01")],
)
def test_printed_dates_outside_2000_to_2099_are_422(
    world: World, issue_date: str, due_date: str
) -> None:
    body = {**invoice_body(world.accounts[0]), "issue_date": issue_date, "due_date": due_date}
    _problem(world.billing.post("/v1/invoices", json=body), 422)


def test_an_early_due_date_under_autopay_is_a_4xx_never_a_500(world: World) -> None:
    method = {"holder": "Acme Inc.", "bank_code": "021000021", "account_number": "000123456789"}
    assert world.admin.post(f"/v1/companies/{world.cid}/payment-methods", json=method).is_success
    url = f"/v1/companies/{world.cid}/accounts/{acct(world.accounts[0])}/autopay"
    assert world.admin.put(url, json={"days_before_due": 3}).status_code == 200
    body = {**invoice_body(world.accounts[0]), "issue_date": "0001-01-01", "due_date": "0001-01-02"}
    _problem(world.billing.post("/v1/invoices", json=body), 422)


def test_a_value_the_store_cannot_hold_is_refused_not_a_500(world: World) -> None:
    """PostgreSQL text holds no NUL (SQLite does): a login carrying one reached a query as is.
    Whatever refuses it first (the login rule, the store), the answer is not a 5xx."""
    nul = {"Authorization": f"Bearer {token('a' + chr(0) + 'b')}"}
    answer = world.client.get("/v1/me", headers=nul)
    assert answer.status_code < 500, answer.text
    if answer.status_code >= 400:
        assert answer.headers["content-type"] == "application/problem+json"
