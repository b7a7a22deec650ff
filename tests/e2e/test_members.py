"""Issue 24 over HTTP, on SQLite and PostgreSQL: no login squatting (R5), `GET /v1/me`'s
pending companies and notification preferences (R5, R8), assigned country codes (A1)."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx2 as httpx
from fastapi.testclient import TestClient

from api.tokens import Scope
from tests.e2e.http import As, World, enroll, invoice_body, new_account, problem, proven
from tests.integration.mail.smtp import SmtpServer, eventually


def _own_company(person: As, billing: As) -> httpx.Response:
    """R1: `person` enrolls a company of their own with one fresh proven account."""
    key = new_account()
    body = invoice_body(key)
    assert billing.post("/v1/invoices", json=body).status_code == 201
    return person.post("/v1/companies", json={"name": "Own", "accounts": [proven(key, body)]})


def _logins(world: World) -> set[str]:
    users = world.admin.get(f"/v1/companies/{world.cid}/users").json()["items"]
    return {u["login"] for u in users}


def test_r5_a_login_added_but_never_used_does_not_block_its_own_enrollment(world: World) -> None:
    bob = world.add_user("bob", "VIEW_ONLY", world.accounts[0])
    enrolled = _own_company(bob, world.billing)
    assert enrolled.status_code == 201, enrolled.text
    me = bob.get("/v1/me").json()
    assert me["company"]["company_id"] == enrolled.json()["company_id"]
    assert me["pending"] == []
    assert "bob" not in _logins(world)


def test_r5_gets_me_lists_the_company_where_the_caller_is_pending(world: World) -> None:
    bob = world.add_user("bob", "VIEW_ONLY", world.accounts[0])
    assert bob.get("/v1/me").json()["pending"] == [{"company_id": world.cid, "name": "Acme"}]


def test_r5_a_first_request_to_the_company_makes_a_member(world: World) -> None:
    bob = world.add_user("bob", "VIEW_ONLY", world.accounts[0])
    invoice = world.issue(world.accounts[0])
    listed = bob.get(f"/v1/companies/{world.cid}/invoices")
    assert listed.status_code == 200
    assert [i["invoice_id"] for i in listed.json()["items"]] == [invoice]
    assert bob.get("/v1/me").json()["pending"] == []
    problem(_own_company(bob, world.billing), 409, "R5")
    assert "bob" in _logins(world)


def test_r5_a_pending_members_first_command_makes_a_member(world: World) -> None:
    carol = world.add_user("carol", "ADMINISTRATOR")
    body = {"login": "dan", "email": "d@acme.test", "name": "Dan", "role": "VIEW_ONLY"}
    assert carol.post(f"/v1/companies/{world.cid}/users", json=body).status_code == 201
    problem(_own_company(carol, world.billing), 409, "R5")


def test_r5_a_withdrawal_is_an_event_the_auditor_replays(world: World) -> None:
    world.add_user("bob", "VIEW_ONLY", world.accounts[0])
    assert _own_company(world.person("bob"), world.billing).status_code == 201
    auditor = As(world.client, "ada", Scope.AUDITOR, seen=world.admin.seen)
    events = auditor.get("/v1/audit/events", params={"company": world.cid}).json()["items"]
    assert "PendingMemberWithdrawn" in {e["type"] for e in events}
    company = auditor.get(f"/v1/audit/companies/{world.cid}").json()
    assert {u["login"] for u in company["users"]} == {"alice"}


def test_r5_an_administrator_may_add_the_login_again_after_a_withdrawal(
    api: TestClient,
) -> None:
    acme = enroll(api, "alice")
    acme.add_user("bob", "VIEW_ONLY")
    bob = acme.person("bob")
    assert _own_company(bob, acme.billing).status_code == 201
    body = {"login": "bob", "email": "b@x.test", "name": "B", "role": "VIEW_ONLY"}
    problem(acme.admin.post(f"/v1/companies/{acme.cid}/users", json=body), 409, "R5")


def test_r8_gets_me_shows_the_notification_preferences(world: World) -> None:
    prefs = {"INVOICE_AVAILABLE": False, "PAYMENT_RECEIVED": True, "ADJUSTMENT_UPDATED": True}
    assert world.admin.put("/v1/me/notification-preferences", json=prefs).status_code == 200
    assert world.admin.get("/v1/me").json()["notifications"] == prefs


def test_a1_an_unassigned_country_code_is_refused_naming_a1(world: World) -> None:
    key = {"country": "XX", "number": "A9999999"}
    response = world.billing.post("/v1/invoices", json=invoice_body(key))
    problem(response, 422, "A1")


def test_r5_the_administrator_who_added_a_withdrawn_login_is_told_by_email(
    mailing: World, smtp: SmtpServer
) -> None:
    mailing.add_user("bob", "VIEW_ONLY")
    assert _own_company(mailing.person("bob"), mailing.billing).status_code == 201
    subject = "A user you added enrolled their own company"
    eventually(lambda: any(str(m["Subject"]) == subject for m in smtp.inbox.messages))
    mail = next(m for m in smtp.inbox.messages if str(m["Subject"]) == subject)
    assert mail["To"] == "Alice <alice@acme.test>"
    assert "bob, whom you added" in mail.as_string()


# --- R10 profiles, R6 reassignment ---------------------------------------------------------


def test_r10_every_user_edits_their_own_profile(world: World) -> None:
    bob = world.add_user("bob", "VIEW_ONLY", world.accounts[0])
    changed = bob.put("/v1/me/profile", json={"email": "bob@home.test", "name": "Bob B"})
    assert changed.status_code == 200, changed.text
    assert changed.json()["email"] == "bob@home.test"
    assert "role" not in changed.json()
    me = bob.get("/v1/me").json()
    assert (me["email"], me["name"]) == ("bob@home.test", "Bob B")


def test_r10_an_administrator_cannot_change_another_administrators_profile(
    world: World,
) -> None:
    carol = world.add_user("carol", "ADMINISTRATOR")
    world.add_user("dave", "ADMINISTRATOR")
    url = f"/v1/companies/{world.cid}/users/"
    body = {"email": "mine@evil.test", "name": "Alice"}
    problem(carol.put(url + "alice", json=body), 403, "R10")
    problem(carol.put(url + "dave", json=body), 403, "R10")
    profile = world.admin.get(url + "alice").json()
    assert profile["email"] == "alice@acme.test"


def test_r10_the_general_administrator_may_change_an_administrators_profile(
    world: World,
) -> None:
    world.add_user("carol", "ADMINISTRATOR")
    url = f"/v1/companies/{world.cid}/users/carol"
    body = {"email": "carol@new.test", "name": "Carol"}
    assert world.admin.put(url, json=body).status_code == 200


def test_r6_the_billing_system_reassigns_the_title_with_a_reason(world: World) -> None:
    world.add_user("carol", "ADMINISTRATOR")
    url = f"/v1/companies/{world.cid}/general-administrator/reassignment"
    body = {"login": "carol", "reason": "Alice left the company"}
    problem(world.admin.post(url, json=body), 403, "R6")
    done = world.billing.post(url, json=body)
    assert done.status_code == 200, done.text
    carol = world.person("carol")
    assert carol.get("/v1/me").json()["general_administrator"] is True


def test_r6_the_title_is_reassigned_only_to_an_administrator_with_a_reason(
    world: World,
) -> None:
    world.add_user("bob", "VIEW_ONLY", world.accounts[0])
    world.add_user("carol", "ADMINISTRATOR")
    url = f"/v1/companies/{world.cid}/general-administrator/reassignment"
    problem(world.billing.post(url, json={"login": "bob", "reason": "gone"}), 404, "R6")
    problem(world.billing.post(url, json={"login": "carol", "reason": " "}), 422, "R6")
    assert world.admin.get("/v1/me").json()["general_administrator"] is True


def test_r6_every_administrator_is_told_of_a_reassignment_by_email(
    mailing: World, smtp: SmtpServer
) -> None:
    mailing.add_user("carol", "ADMINISTRATOR")
    mailing.add_user("bob", "VIEW_ONLY", mailing.accounts[0])
    url = f"/v1/companies/{mailing.cid}/general-administrator/reassignment"
    body = {"login": "carol", "reason": "Alice left"}
    assert mailing.billing.post(url, json=body).status_code == 200
    subject = "The general administrator title was reassigned"
    eventually(lambda: sum(str(m["Subject"]) == subject for m in smtp.inbox.messages) == 2)
    told = {str(m["To"]) for m in smtp.inbox.messages if str(m["Subject"]) == subject}
    assert told == {"Alice <alice@acme.test>", "Carol <carol@acme.test>"}


# --- R14 closing a company ------------------------------------------------------------------


def _unenroll_all(world: World) -> None:
    body = {"accounts": world.accounts, "reason": "NO_LONGER_NEEDED"}
    gone = world.admin.post(f"/v1/companies/{world.cid}/unenrollment", json=body)
    assert gone.status_code == 200, gone.text


def test_r14_a_company_with_an_enrolled_account_is_not_closed(world: World) -> None:
    url = f"/v1/companies/{world.cid}/closure"
    problem(world.admin.post(url, params={"confirm": "true"}), 409, "R14")


def test_r14_closing_needs_an_explicit_confirmation(world: World) -> None:
    _unenroll_all(world)
    problem(world.admin.post(f"/v1/companies/{world.cid}/closure"), 422, "R14")


def test_r14_only_the_general_administrator_closes_the_company(world: World) -> None:
    _unenroll_all(world)
    carol = world.add_user("carol", "ADMINISTRATOR")
    url = f"/v1/companies/{world.cid}/closure"
    problem(carol.post(url, params={"confirm": "true"}), 403, "R14")


def test_r14_a_closed_company_releases_its_members_and_refuses_every_command(
    world: World,
) -> None:
    invoice = world.issue(world.accounts[0])
    bob = world.add_user("bob", "VIEW_ONLY", world.accounts[0])
    assert bob.get(f"/v1/companies/{world.cid}/invoices").status_code == 200
    _unenroll_all(world)
    closed = world.admin.post(f"/v1/companies/{world.cid}/closure", params={"confirm": "true"})
    assert closed.status_code == 200, closed.text
    problem(world.admin.post(f"/v1/companies/{world.cid}/reenrollment", json={}), 409, "R14")
    body = {"login": "dan", "email": "d@x.test", "name": "D", "role": "VIEW_ONLY"}
    problem(world.admin.post(f"/v1/companies/{world.cid}/users", json=body), 409, "R14")
    assert bob.get(f"/v1/invoices/{invoice}").status_code == 404
    assert world.admin.get("/v1/me").json()["company"] is None


def test_r14_the_former_general_administrator_can_enroll_a_new_company(world: World) -> None:
    _unenroll_all(world)
    assert world.admin.post(
        f"/v1/companies/{world.cid}/closure", params={"confirm": "true"}
    ).is_success
    assert _own_company(world.admin, world.billing).status_code == 201


def test_r14_auditors_see_the_closed_company_as_before(world: World) -> None:
    _unenroll_all(world)
    before = datetime.now(UTC).isoformat()
    world.admin.post(f"/v1/companies/{world.cid}/closure", params={"confirm": "true"})
    auditor = As(world.client, "ada", Scope.AUDITOR, seen=world.admin.seen)
    events = auditor.get("/v1/audit/events", params={"company": world.cid}).json()["items"]
    assert {"CompanyEnrolled", "CompanyClosed"} <= {e["type"] for e in events}
    url = f"/v1/audit/companies/{world.cid}"
    then = auditor.get(url, params={"as_of": before}).json()
    assert [u["login"] for u in then["users"]] == ["alice"]
    assert len(then["accounts"]) == 2
