"""R1-R10: companies, their users, roles, grants and the general administrator."""

from __future__ import annotations

import pytest

from domain.errors import (
    ConfirmationRequired,
    Forbidden,
    GeneralAdministratorLocked,
    InvalidInput,
    LoginTaken,
    NotAMember,
    NotFound,
    ProofMismatch,
)
from domain.roles import ROLE_ACTIONS, Action
from domain.values import Notification, Role
from tests.builders import (
    ACCOUNT,
    ADMIN,
    OTHER_ACCOUNT,
    a_company,
    add_user,
    bill,
    billing_center,
    enrolled_company,
    issue,
    person,
    proven,
    refused,
    request,
)


def test_the_enrolling_person_becomes_general_administrator_and_administrator() -> None:
    """R1: whoever enrolls the company holds the title and the Administrator role."""
    app = billing_center()
    company = app.company(enrolled_company(app))
    assert company.general_administrator == ADMIN
    assert company.role_of(ADMIN) is Role.ADMINISTRATOR


def test_enrolling_with_one_unproven_account_enrolls_nothing() -> None:
    """R1: the first accounts are added all together or not at all."""
    app = billing_center()
    good = proven(app, ACCOUNT)
    issue(app, bill(OTHER_ACCOUNT, "PROOF-2"))
    wrong = request(bill(OTHER_ACCOUNT, "PROOF-2", amount="99.00"))
    with refused(app, ProofMismatch, "A1"):
        app.enroll_company(person(ADMIN), "Acme", [good, wrong])
    assert not app.account(ACCOUNT).enrolled


def test_there_are_exactly_six_roles() -> None:
    """R2: the roles are the six of the matrix."""
    assert {role.value for role in Role} == {
        "VIEW_ONLY",
        "VIEW_ADJUST",
        "VIEW_PAY",
        "VIEW_PAY_ADJUST",
        "PLAN_MANAGER",
        "ADMINISTRATOR",
    }
    assert set(ROLE_ACTIONS) == set(Role)


def test_a_view_only_user_may_not_pay() -> None:
    """R2: paying is not in VIEW_ONLY's row of the matrix."""
    assert Action.PAY not in ROLE_ACTIONS[Role.VIEW_ONLY]


def test_only_administrators_add_users() -> None:
    """R3: a VIEW_PAY_ADJUST user cannot add users."""
    app, company = a_company()
    add_user(app, company, "bob", Role.VIEW_PAY_ADJUST, (ACCOUNT,))
    with refused(app, Forbidden, "R3"):
        add_user(app, company, "carol", Role.VIEW_ONLY, by="bob")


def test_a_user_sees_only_the_invoices_of_granted_accounts() -> None:
    """R4: a non-Administrator sees the accounts granted to it and nothing else."""
    app = billing_center()
    company = enrolled_company(app, accounts=(ACCOUNT, OTHER_ACCOUNT))
    add_user(app, company, "bob", Role.VIEW_ONLY, (ACCOUNT,))
    granted = issue(app, bill(ACCOUNT, "INV-1"))
    other = issue(app, bill(OTHER_ACCOUNT, "INV-2"))
    assert app.visible_invoice("bob", granted).invoice.id == granted
    with pytest.raises(NotFound):
        app.visible_invoice("bob", other)


def test_an_administrator_sees_every_account_without_grants() -> None:
    """R4: Administrators see every account and invoice of the company."""
    app = billing_center()
    company = enrolled_company(app, accounts=(ACCOUNT, OTHER_ACCOUNT))
    add_user(app, company, "bob", Role.ADMINISTRATOR)
    invoice = issue(app, bill(OTHER_ACCOUNT, "INV-2"))
    assert app.visible_invoice("bob", invoice).invoice.id == invoice


def test_revoking_an_account_hides_its_invoices() -> None:
    """R4: a grant may be revoked, and the account's invoices leave the user's views."""
    app = billing_center()
    company = enrolled_company(app, accounts=(ACCOUNT, OTHER_ACCOUNT))
    add_user(app, company, "bob", Role.VIEW_ONLY, (ACCOUNT, OTHER_ACCOUNT))
    invoice = issue(app, bill(ACCOUNT, "INV-1"))
    app.set_user_accounts(person(ADMIN), company, "bob", [OTHER_ACCOUNT])
    with pytest.raises(NotFound):
        app.visible_invoice("bob", invoice)


def test_adding_a_login_of_another_company_is_refused() -> None:
    """R5: a login belongs to at most one company at a time."""
    app = billing_center()
    first = enrolled_company(app)
    add_user(app, first, "bob", Role.VIEW_ONLY)
    second = enrolled_company(app, "zoe", (OTHER_ACCOUNT,), "PROOF-2")
    with refused(app, LoginTaken, "R5"):
        add_user(app, second, "bob", Role.VIEW_ONLY, by="zoe")


def test_adding_a_login_already_in_the_company_is_refused() -> None:
    """R5: a login already in this company is refused."""
    app, company = a_company()
    add_user(app, company, "bob", Role.VIEW_ONLY)
    with refused(app, LoginTaken, "R5"):
        add_user(app, company, "bob", Role.VIEW_PAY)


def test_a_general_administrator_of_another_company_cannot_enroll_a_second() -> None:
    """R5: enrolling a company with a login that already belongs to one is refused."""
    app = billing_center()
    enrolled_company(app)
    second = proven(app, OTHER_ACCOUNT, "PROOF-2")
    with refused(app, LoginTaken, "R5"):
        app.enroll_company(person(ADMIN), "Second", [second])


def test_adding_a_user_needs_an_email() -> None:
    """R5: login id, e-mail, name and role are required."""
    app, company = a_company()
    with refused(app, InvalidInput, "R5"):
        app.add_user(person(ADMIN), company, "bob", email="", name="Bob", role=Role.VIEW_ONLY)


def test_removing_a_user_needs_confirmation() -> None:
    """R5: removing needs an explicit confirmation."""
    app, company = a_company()
    add_user(app, company, "bob", Role.VIEW_ONLY)
    with refused(app, ConfirmationRequired, "R5"):
        app.remove_user(person(ADMIN), company, "bob", confirmed=False)


def test_a_removed_user_loses_access_at_once() -> None:
    """R5: a removed user no longer sees the company's invoices."""
    app, company = a_company()
    add_user(app, company, "bob", Role.VIEW_ONLY, (ACCOUNT,))
    invoice = issue(app, bill(ACCOUNT, "INV-1"))
    app.remove_user(person(ADMIN), company, "bob", confirmed=True)
    with pytest.raises(NotFound):
        app.visible_invoice("bob", invoice)


def test_a_removed_login_may_be_added_again() -> None:
    """R5: a removed login may be added again, here or in another company."""
    app, company = a_company()
    add_user(app, company, "bob", Role.VIEW_ONLY)
    app.remove_user(person(ADMIN), company, "bob", confirmed=True)
    other = enrolled_company(app, "zoe", (OTHER_ACCOUNT,), "PROOF-2")
    add_user(app, other, "bob", Role.VIEW_PAY, by="zoe")
    assert app.user("bob").company_id == str(other)


def test_the_general_administrator_cannot_be_removed() -> None:
    """R6: the title holder cannot be removed before handing the title over."""
    app, company = a_company()
    add_user(app, company, "bob", Role.ADMINISTRATOR)
    with refused(app, GeneralAdministratorLocked, "R6"):
        app.remove_user(person("bob"), company, ADMIN, confirmed=True)


def test_the_general_administrator_role_cannot_change() -> None:
    """R6: the title holder stays an Administrator until it hands the title over."""
    app, company = a_company()
    add_user(app, company, "bob", Role.ADMINISTRATOR)
    with refused(app, GeneralAdministratorLocked, "R6"):
        app.change_role(person("bob"), company, ADMIN, Role.VIEW_ONLY)


def test_handing_over_makes_the_successor_an_administrator() -> None:
    """R6: the new general administrator becomes Administrator if it was not."""
    app, company = a_company()
    add_user(app, company, "bob", Role.VIEW_ONLY)
    app.hand_over(person(ADMIN), company, "bob")
    after = app.company(company)
    assert (after.general_administrator, after.role_of("bob")) == ("bob", Role.ADMINISTRATOR)


def test_after_handing_over_the_former_holder_can_be_removed() -> None:
    """R6: once the title is handed over, the former holder is removed like anyone else."""
    app, company = a_company()
    add_user(app, company, "bob", Role.VIEW_ONLY)
    app.hand_over(person(ADMIN), company, "bob")
    app.remove_user(person("bob"), company, ADMIN, confirmed=True)
    assert not app.company(company).is_member(ADMIN)


def test_the_title_goes_only_to_a_user_of_the_company() -> None:
    """R6: handing over to a stranger is refused."""
    app, company = a_company()
    with refused(app, NotAMember, "R6"):
        app.hand_over(person(ADMIN), company, "stranger")


def test_a_plan_manager_sees_only_the_users_it_manages() -> None:
    """R7: a Plan Manager sees the users R9 lets it manage."""
    app = billing_center()
    company = enrolled_company(app, accounts=(ACCOUNT, OTHER_ACCOUNT))
    add_user(app, company, "pm", Role.PLAN_MANAGER, (ACCOUNT,))
    add_user(app, company, "inside", Role.VIEW_PAY, (ACCOUNT,))
    add_user(app, company, "outside", Role.VIEW_PAY, (OTHER_ACCOUNT,))
    assert app.company(company).managed_users("pm") == ["inside"]


def test_a_user_without_a_managing_role_sees_no_roles() -> None:
    """R7: other users see no one's role."""
    app, company = a_company()
    add_user(app, company, "bob", Role.VIEW_PAY_ADJUST, (ACCOUNT,))
    assert app.company(company).managed_users("bob") == []


def test_every_notification_is_on_for_a_new_user() -> None:
    """R8: all notifications are on when a user is added."""
    app, company = a_company()
    add_user(app, company, "bob", Role.VIEW_ONLY)
    assert all(app.user("bob").wants(kind) for kind in Notification)


def test_a_user_turns_off_its_own_notifications() -> None:
    """R8: each user sets their own e-mail notification preferences."""
    app, company = a_company()
    add_user(app, company, "bob", Role.VIEW_ONLY)
    app.set_notification_preferences(person("bob"), {Notification.INVOICE_AVAILABLE: False})
    user = app.user("bob")
    assert not user.wants(Notification.INVOICE_AVAILABLE)
    assert user.wants(Notification.PAYMENT_RECEIVED)


def test_a_plan_manager_cannot_give_the_administrator_role() -> None:
    """R9: a Plan Manager never gives ADMINISTRATOR."""
    app, company = a_company()
    add_user(app, company, "pm", Role.PLAN_MANAGER, (ACCOUNT,))
    with refused(app, Forbidden, "R9"):
        add_user(app, company, "bob", Role.ADMINISTRATOR, (ACCOUNT,), by="pm")


def test_a_plan_manager_cannot_promote_to_plan_manager() -> None:
    """R9: a Plan Manager never gives PLAN_MANAGER, by a role change either."""
    app, company = a_company()
    add_user(app, company, "pm", Role.PLAN_MANAGER, (ACCOUNT,))
    add_user(app, company, "bob", Role.VIEW_ONLY, (ACCOUNT,))
    with refused(app, Forbidden, "R9"):
        app.change_role(person("pm"), company, "bob", Role.PLAN_MANAGER)


def test_a_plan_manager_grants_only_accounts_it_holds() -> None:
    """R9: a Plan Manager grants only its own accounts."""
    app = billing_center()
    company = enrolled_company(app, accounts=(ACCOUNT, OTHER_ACCOUNT))
    add_user(app, company, "pm", Role.PLAN_MANAGER, (ACCOUNT,))
    with refused(app, Forbidden, "R9"):
        add_user(app, company, "bob", Role.VIEW_ONLY, (OTHER_ACCOUNT,), by="pm")


def test_a_plan_manager_does_not_manage_users_outside_its_accounts() -> None:
    """R9: a user with an account beyond the Plan Manager's is out of its reach."""
    app = billing_center()
    company = enrolled_company(app, accounts=(ACCOUNT, OTHER_ACCOUNT))
    add_user(app, company, "pm", Role.PLAN_MANAGER, (ACCOUNT,))
    add_user(app, company, "bob", Role.VIEW_ONLY, (ACCOUNT, OTHER_ACCOUNT))
    with refused(app, NotFound, None):
        app.remove_user(person("pm"), company, "bob", confirmed=True)


def test_a_plan_manager_adds_users_within_its_accounts() -> None:
    """R9: within its accounts, a Plan Manager adds users as an Administrator would."""
    app, company = a_company()
    add_user(app, company, "pm", Role.PLAN_MANAGER, (ACCOUNT,))
    add_user(app, company, "bob", Role.VIEW_PAY, (ACCOUNT,), by="pm")
    assert app.company(company).grants["bob"] == [str(ACCOUNT)]


def test_a_plan_manager_cannot_add_accounts() -> None:
    """R9: a Plan Manager cannot add accounts."""
    app, company = a_company()
    add_user(app, company, "pm", Role.PLAN_MANAGER, (ACCOUNT,))
    wanted = proven(app, OTHER_ACCOUNT, "PROOF-2")
    with refused(app, Forbidden, "R3"):
        app.add_account(person("pm"), company, wanted)


def test_an_administrator_keeps_the_company_details_up_to_date() -> None:
    """R10: Administrators change the company's name and address."""
    app, company = a_company()
    app.change_company_details(person(ADMIN), company, "Acme SA", "1 rue de la Paix")
    after = app.company(company)
    assert (after.name, after.address) == ("Acme SA", "1 rue de la Paix")


def test_a_plan_manager_cannot_change_the_company_details() -> None:
    """R10: only Administrators keep the company's information."""
    app, company = a_company()
    add_user(app, company, "pm", Role.PLAN_MANAGER, (ACCOUNT,))
    with refused(app, Forbidden, "R10"):
        app.change_company_details(person("pm"), company, "Other", "")


def test_a_plan_manager_keeps_the_profiles_of_its_users_up_to_date() -> None:
    """R10: a Plan Manager changes the profiles of the users R9 lets it manage."""
    app, company = a_company()
    add_user(app, company, "pm", Role.PLAN_MANAGER, (ACCOUNT,))
    add_user(app, company, "bob", Role.VIEW_ONLY, (ACCOUNT,))
    app.change_user_profile(person("pm"), company, "bob", "robert@example.com", "Robert")
    assert (app.user("bob").email, app.user("bob").name) == ("robert@example.com", "Robert")


def test_r3_a_change_that_changes_nothing_answers_a_position_where_it_holds() -> None:
    """R3: a role change that finds the role already set answers the store's head; if another
    change commits before that head is read, it is decided again (issue 18: the race test
    once saw the last answered position hold another role)."""
    app, company = a_company()
    add_user(app, company, "bob", Role.VIEW_ONLY)
    add_user(app, company, "carol", Role.ADMINISTRATOR)
    head = app.head
    racing = [lambda: app.change_role(person("carol"), company, "bob", Role.VIEW_PAY)]

    def head_after_a_racing_change() -> int:
        if racing:
            racing.pop()()
        return head()

    app.head = head_after_a_racing_change  # type: ignore[method-assign]
    receipt = app.change_role(person(ADMIN), company, "bob", Role.VIEW_ONLY)
    assert app.company(company).role_of("bob") is Role.VIEW_ONLY
    assert receipt.position == head()
