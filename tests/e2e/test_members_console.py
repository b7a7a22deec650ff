"""Issue 24 in the console (TestClient, SQLite and PostgreSQL), English and French: my
profile (R10), the pending notice (R5), closing the company (R14)."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.e2e.http import World, csrf_of

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
