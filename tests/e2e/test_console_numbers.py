"""Issue 17: the console bounds every number it reads from a URL or a form. A Unicode digit
(`"²".isdigit()` is true, `int("²")` fails) or 5,000 digits was a 500; now it is ignored or
refused like any malformed value."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.e2e.http import World, csrf_of

ODD_NUMBERS = ["²", "٣", "9" * 5000]
SAME_ORIGIN = {"Origin": "http://testserver"}  # as a browser sends it on every POST (issue 18)


def _sign_in(client: TestClient, login: str, scope: str = "") -> None:
    client.cookies.clear()
    form = {"csrf_token": csrf_of(client.get("/console/sign-in").text), "login": login}
    response = client.post("/console/sign-in", data={**form, "scope": scope}, headers=SAME_ORIGIN)
    assert response.status_code == 200, response.status_code


@pytest.mark.parametrize("odd", ODD_NUMBERS)
def test_odd_numbers_in_console_urls_are_not_500(world: World, odd: str) -> None:
    client = world.client
    world.admin.get("/v1/me")  # the read models have the enrollment (min_position)
    _sign_in(client, "alice")
    for url in ("/console/invoices", "/console/archive", "/console/profile"):
        response = client.get(url, params={"page": odd, "seen": odd})
        assert response.status_code < 500, (url, response.status_code)
    _sign_in(client, "newcomer")  # in no company: the enrollment page
    assert client.get("/console/enroll", params={"rows": odd}).status_code == 200
    _sign_in(client, "eve", scope="auditor")
    assert client.get("/console/audit", params={"after": odd}).status_code < 500


@pytest.mark.parametrize("odd", ["²", "9" * 5000])
def test_odd_autopay_days_are_refused_not_500(world: World, odd: str) -> None:
    client = world.client
    world.admin.get("/v1/me")  # the read models have the enrollment (min_position)
    _sign_in(client, "alice")
    acct = f"{world.accounts[0]['country']}-{world.accounts[0]['number']}"
    form = {"csrf_token": csrf_of(client.get("/console/accounts").text), "days": odd}
    response = client.post(f"/console/accounts/{acct}/autopay", data=form, headers=SAME_ORIGIN)
    assert response.status_code == 422, response.status_code
