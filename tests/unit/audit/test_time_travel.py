"""C1: any company, user, account or invoice as it was at an instant, from events alone."""

from __future__ import annotations

from domain.company import Company
from domain.enrollment import AccountEnrollment, account_id
from domain.values import Role, UnenrollmentReason
from projections.audit.timetravel import as_of, company_as_of, user_as_of, version_at
from tests.audit_world import ACCOUNT, add_user, center, company, instant, person


def test_company_as_of_shows_users_roles_and_accounts_as_they_were() -> None:
    app = center()
    cid = company(app)
    add_user(app, cid, "bob", Role.VIEW_ONLY, accounts=(ACCOUNT,))
    before = instant()
    app.change_role(person("alice"), cid, "bob", Role.VIEW_PAY)
    app.unenroll_accounts(person("alice"), cid, [ACCOUNT], UnenrollmentReason.PREFER_PAPER)
    then = company_as_of(app, cid, before)
    assert then is not None
    users = {u["login"]: u for u in then["users"]}
    assert users["bob"]["role"] == "VIEW_ONLY"
    assert users["bob"]["granted"] == ["US-A00001"]
    assert users["alice"]["general_administrator"] is True
    assert then["accounts"][0]["status"] == "ENROLLED"
    now = company_as_of(app, cid, instant())
    assert now is not None
    assert now["accounts"][0]["status"] == "UNENROLLED"


def test_a_company_did_not_exist_before_its_enrollment() -> None:
    app = center()
    before = instant()
    cid = company(app)
    assert company_as_of(app, cid, before) is None


def test_version_at_finds_the_last_version_recorded_by_then() -> None:
    app = center()
    cid = company(app)
    add_user(app, cid, "bob", Role.VIEW_ONLY)
    middle = instant()
    add_user(app, cid, "carol", Role.VIEW_ONLY)
    assert version_at(app, cid, middle) == 2
    company_then = as_of(app, Company, cid, at=middle)
    assert company_then is not None
    assert "carol" not in company_then.roles


def test_state_as_of_uses_snapshots_on_a_long_history() -> None:
    app = center()
    cid = company(app)
    add_user(app, cid, "bob", Role.VIEW_ONLY)
    for turn in range(130):
        role = Role.VIEW_PAY if turn % 2 == 0 else Role.VIEW_ONLY
        app.change_role(person("alice"), cid, "bob", role)
    assert app.snapshots is not None
    assert list(app.snapshots.get(cid))
    then = as_of(app, Company, cid, version=101)
    assert then is not None
    assert then.version == 101


def test_a_user_as_of_shows_the_profile_then() -> None:
    app = center()
    cid = company(app)
    add_user(app, cid, "bob", Role.VIEW_ONLY)
    before = instant()
    app.change_user_profile(person("alice"), cid, "bob", "robert@example.com", "Robert")
    then = user_as_of(app, "bob", before)
    assert then is not None
    assert then.email == "bob@example.com"


def test_an_account_as_of_shows_its_enrollment_then() -> None:
    app = center()
    cid = company(app)
    before = instant()
    app.unenroll_accounts(person("alice"), cid, [ACCOUNT], UnenrollmentReason.PREFER_PAPER)
    then = as_of(app, AccountEnrollment, account_id(ACCOUNT), at=before)
    assert then is not None
    assert then.enrolled
