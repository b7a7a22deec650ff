"""Issue 17: arbitrary Unicode in every free-text field of every write, on PostgreSQL, through
the HTTP app, never stops a read model: each write is taken (and reads back as the text rule
keeps it) or refused with 422 and changes nothing, and a normal write made afterwards is
visible with `min_position` within 5 s."""

from __future__ import annotations

import json
from itertools import count
from pathlib import Path
from typing import Any

import httpx2 as httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.application import BillingCenter
from domain.errors import InvalidInput
from domain.text import COMPANY_ADDRESS, COMPANY_NAME
from tests.e2e.http import As, World, enroll, invoice_body, running
from tests.samples import a_pdf

NASTY = ["\x00", "\x1b", "\x85", "\t", "\n", "\r", "\u202e", "\u2066", "\u200b", "\ud800", "\udfff"]
FIELDS = [
    "company_name", "address", "user_name", "holder", "bank_code", "description",
    "reason", "decision_comment", "filename", "unenrollment_comment", "email",
]  # fmt: skip

any_text = st.text(st.one_of(st.characters(codec=None), st.sampled_from(NASTY)), max_size=40)
texts = st.fixed_dictionaries(dict.fromkeys(FIELDS, any_text))
_numbers = count(1)


def head(world: World) -> int:
    center: BillingCenter = world.client.app.state.billing_center  # type: ignore[attr-defined]
    return center.head()


def send(caller: As, method: str, url: str, body: dict[str, Any]) -> httpx.Response:
    """JSON as an attacker writes it: lone surrogates escaped, as JSON allows."""
    content = json.dumps(body).encode()
    headers = {"Content-Type": "application/json"}
    return caller.request(method, url, content=content, headers=headers)


def taken(world: World, response: httpx.Response, before: int) -> bool:
    """Whether the write was taken; a refusal is 4xx (never 5xx) and moved nothing."""
    assert response.status_code < 500, response.text
    if response.is_success:
        return True
    assert head(world) == before, response.text
    return False


def attempt(world: World, caller: As, method: str, url: str, body: dict[str, Any]) -> bool:
    before = head(world)
    return taken(world, send(caller, method, url, body), before)


def upload(world: World, iid: str, filename: str) -> bool:
    disposition = f'form-data; name="file"; filename="{filename}"'
    head_bytes = f"--b\r\nContent-Disposition: {disposition}\r\n\r\n"
    content = head_bytes.encode(errors="surrogatepass") + a_pdf() + b"\r\n--b--\r\n"
    headers = {"Content-Type": "multipart/form-data; boundary=b"}
    before = head(world)
    url = f"/v1/invoices/{iid}/documents"
    return taken(world, world.billing.post(url, content=content, headers=headers), before)


def expected(spec: Any, value: str) -> str | None:
    try:
        kept: str = spec(value)
    except InvalidInput:
        return None
    return kept


def company_information(world: World, given_: dict[str, str]) -> None:
    body = {"name": given_["company_name"], "address": given_["address"]}
    if attempt(world, world.admin, "PUT", f"/v1/companies/{world.cid}", body):
        shown = world.admin.get(f"/v1/companies/{world.cid}").json()
        name = expected(COMPANY_NAME, given_["company_name"])
        assert (shown["name"], shown["address"]) == (name, COMPANY_ADDRESS(given_["address"]))


def people_and_bank(world: World, given_: dict[str, str], n: int) -> None:
    user = {"login": f"user{n}", "email": f"user{n}@acme.test", "name": given_["user_name"],
            "role": "VIEW_ONLY"}  # fmt: skip
    attempt(world, world.admin, "POST", f"/v1/companies/{world.cid}/users", user)
    profile = {"email": given_["email"], "name": "Someone"}
    attempt(world, world.admin, "PUT", f"/v1/companies/{world.cid}/users/alice", profile)
    bank = {"holder": given_["holder"], "bank_code": given_["bank_code"],
            "account_number": "000123456789"}  # fmt: skip
    attempt(world, world.admin, "POST", f"/v1/companies/{world.cid}/payment-methods", bank)


def invoice_texts(world: World, given_: dict[str, str], n: int) -> None:
    bill = invoice_body(world.accounts[1], invoice_number=f"FUZZ-D{n}")
    bill["lines"][0]["description"] = given_["description"]
    attempt(world, world.billing, "POST", "/v1/invoices", bill)
    iid = world.issue(world.accounts[1], invoice_number=f"FUZZ-{n}")
    upload(world, iid, given_["filename"])
    request = {"reason": given_["reason"], "lines": [{"tracking_number": "1Z001", "amount": "1"}]}
    answer = send(world.admin, "POST", f"/v1/invoices/{iid}/adjustments", request)
    if answer.status_code == 201:
        url = f"/v1/invoices/{iid}/adjustments/{answer.json()['adjustment_id']}/decision"
        decision = {"approved": False, "comment": given_["decision_comment"]}
        attempt(world, world.billing, "POST", url, decision)


def unenrollment(world: World, given_: dict[str, str]) -> None:
    body = {"accounts": [world.accounts[0]], "reason": "OTHER",
            "comment": given_["unenrollment_comment"]}  # fmt: skip
    if attempt(world, world.admin, "POST", f"/v1/companies/{world.cid}/unenrollment", body):
        again = {"accounts": [world.accounts[0]]}
        assert attempt(world, world.admin, "POST", f"/v1/companies/{world.cid}/reenrollment", again)


def a_normal_write_is_read_back(world: World, n: int) -> None:
    invoice = world.issue(world.accounts[0], invoice_number=f"NORMAL-{n}")
    listed = world.admin.get(f"/v1/companies/{world.cid}/invoices", params={"limit": 5})
    assert listed.status_code == 200, listed.text  # min_position reached within 5 s
    assert invoice in [item["invoice_id"] for item in listed.json()["items"]]


@pytest.mark.postgres
def test_arbitrary_text_in_every_write_never_stalls_a_read_model_on_postgres(
    postgres_url: str, tmp_path: Path
) -> None:
    with running(postgres_url, str(tmp_path)) as client:
        world = enroll(client)

        @settings(max_examples=min(settings().max_examples, 40), deadline=None)
        @given(given_=texts)
        def every_write(given_: dict[str, str]) -> None:
            n = next(_numbers)
            company_information(world, given_)
            people_and_bank(world, given_, n)
            invoice_texts(world, given_, n)
            unenrollment(world, given_)
            a_normal_write_is_read_back(world, n)

        every_write()
