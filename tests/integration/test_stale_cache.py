"""Commands decide first on the process's cached aggregates (issue 8); another process
writing the same store never makes them lose its change or decide on stale state.
"""

from __future__ import annotations

from collections.abc import Iterator
from uuid import UUID

import pytest

from domain.application import BillingCenter, retries
from domain.errors import Forbidden
from domain.values import Notification, Role
from store.url import eventsourcing_env
from tests.builders import ADMIN, add_user, billing_center, enrolled_company, person


@pytest.fixture
def two_processes(durable_store_url: str) -> Iterator[tuple[BillingCenter, BillingCenter]]:
    """Two billing centers on one store, each with its own aggregate cache."""
    env = eventsourcing_env(durable_store_url)
    first, second = billing_center(env), billing_center(env)
    try:
        yield first, second
    finally:
        first.close()
        second.close()


def company_with(app: BillingCenter, *users: tuple[str, Role]) -> UUID:
    """Alice's company with `users`, every aggregate now in `app`'s cache."""
    company = enrolled_company(app)
    for login, role in users:
        add_user(app, company, login, role)
    return company


def test_a_command_on_a_stale_copy_keeps_the_other_process_s_change(
    two_processes: tuple[BillingCenter, BillingCenter],
) -> None:
    """No lost update: the insert refuses the stale copy and the command runs again."""
    first, second = two_processes
    company_with(first, ("bob", Role.VIEW_ONLY))
    first.set_notification_preferences(person("bob"), {Notification.INVOICE_AVAILABLE: False})
    second.set_notification_preferences(person("bob"), {Notification.PAYMENT_RECEIVED: False})
    first.set_notification_preferences(person("bob"), {Notification.ADJUSTMENT_UPDATED: False})
    assert not any(stored_preferences(first, "bob").values())


def stored_preferences(app: BillingCenter, login: str) -> dict[str, bool]:
    """The login's preferences as the store has them (read outside any command)."""
    return dict(app.user(login).preferences)


def test_a_command_never_authorises_on_a_stale_copy_it_only_read(
    two_processes: tuple[BillingCenter, BillingCenter],
) -> None:
    """R10: a demoted administrator may no longer change profiles, whoever demoted them."""
    first, second = two_processes
    company = company_with(first, ("carol", Role.ADMINISTRATOR), ("bob", Role.VIEW_ONLY))
    second.change_role(person(ADMIN), company, "carol", Role.VIEW_ONLY)
    with pytest.raises(Forbidden):
        first.change_user_profile(person("carol"), company, "bob", "b@example.com", "Robert")
    assert first.user("bob").name == "Bob"


def test_a_refusal_is_decided_on_the_store_s_state_not_a_stale_copy(
    two_processes: tuple[BillingCenter, BillingCenter],
) -> None:
    """R8: a user the other process added back may set preferences at once."""
    first, second = two_processes
    company = company_with(first, ("bob", Role.VIEW_ONLY))
    first.remove_user(person(ADMIN), company, "bob", confirmed=True)
    add_user(second, company, "bob", Role.VIEW_ONLY)
    first.set_notification_preferences(person("bob"), {Notification.INVOICE_AVAILABLE: False})
    assert first.user("bob").preferences[Notification.INVOICE_AVAILABLE.value] is False


def test_details_already_written_elsewhere_answer_the_store_s_company_at_its_head(
    two_processes: tuple[BillingCenter, BillingCenter],
) -> None:
    """R10, issue 20: a change that changes nothing answers the company it found in the
    store and the head, though its cached copy was older."""
    first, second = two_processes
    company = company_with(first)
    second.change_company_details(person(ADMIN), company, "Acme 2", "2 Road")
    receipt = first.change_company_details(person(ADMIN), company, "Acme 2", "2 Road")
    assert (receipt.result.name, receipt.result.address) == ("Acme 2", "2 Road")
    assert receipt.position == first.head()


def test_details_decided_unchanged_on_a_stale_copy_are_written_over_the_other_change(
    two_processes: tuple[BillingCenter, BillingCenter],
) -> None:
    """R10, issue 20: the cached copy says "unchanged", the store says otherwise: the
    command runs again and writes them; it answers them at its own event's position."""
    first, second = two_processes
    company = company_with(first)
    before = first.company(company)
    other = second.change_company_details(person(ADMIN), company, "Acme 2", "2 Road")
    receipt = first.change_company_details(person(ADMIN), company, "Acme", before.address)
    assert (receipt.result.name, receipt.result.address) == ("Acme", before.address)
    assert receipt.position == first.head() > other.position
    assert first.company(company).name == "Acme"


class Races:
    """Counts the races lost in this process (a RaceObserver)."""

    def __init__(self) -> None:
        self.lost = 0

    def lost_race(self) -> None:
        self.lost += 1

    def retried(self) -> None:
        return None


def test_after_a_lost_race_the_next_command_on_that_aggregate_decides_on_a_fresh_load(
    two_processes: tuple[BillingCenter, BillingCenter], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 20: an aggregate that lost a race is asked for anew for a while, so another
    process writing it again does not make the next command lose once more."""
    races = Races()
    monkeypatch.setattr(retries, "_OBSERVERS", [races])
    monkeypatch.setattr(retries, "CONTENDED_SECONDS", 60.0)  # however slow the machine
    monkeypatch.setattr(retries, "_CONTENDED", {})  # (bob's user id is the same in every test)
    first, second = two_processes
    company_with(first, ("bob", Role.VIEW_ONLY))
    bob = person("bob")
    first.set_notification_preferences(bob, {Notification.INVOICE_AVAILABLE: False})
    second.set_notification_preferences(bob, {Notification.PAYMENT_RECEIVED: False})
    first.set_notification_preferences(bob, {Notification.ADJUSTMENT_UPDATED: False})
    assert races.lost >= 1  # first's cached copy was stale
    second.set_notification_preferences(bob, {Notification.PAYMENT_RECEIVED: True})
    lost = races.lost
    first.set_notification_preferences(bob, {Notification.INVOICE_AVAILABLE: True})
    assert races.lost == lost
    assert stored_preferences(first, "bob")[Notification.PAYMENT_RECEIVED.value]
