"""Event schema evolution: a version 1 UserAdded, stored before grants existed, still replays."""

from __future__ import annotations

from dataclasses import replace

from eventsourcing.persistence import StoredEvent

from api.storage import eventsourcing_env
from domain.application import BillingCenter
from domain.company import Company
from domain.values import Role
from tests.builders import ADMIN, add_user, billing_center, enrolled_company


def as_version_1(app: BillingCenter, stored: StoredEvent) -> StoredEvent:
    """The same UserAdded as version 1 wrote it: no class_version and no accounts."""
    fields = app.mapper.transcoder.decode(stored.state)
    assert fields.pop("class_version") == 2
    del fields["accounts"]
    return replace(stored, state=app.mapper.transcoder.encode(fields))


def test_a_version_1_user_added_replays_with_no_accounts(store_url: str) -> None:
    """R5: UserAdded v1 carried no grants; upcast to v2 it grants nothing."""
    env = eventsourcing_env(store_url)
    writer = billing_center(env)
    try:
        company = enrolled_company(writer)
        aggregate = writer.company(company)
        aggregate.add_user(ADMIN, "bob", Role.VIEW_ONLY)
        event = aggregate.collect_events()[0]
        assert isinstance(event, Company.UserAdded)
        old = as_version_1(writer, writer.mapper.to_stored_event(event))
        writer.recorder.insert_events([old])
        assert b"accounts" not in old.state
        replayed: Company = writer.repository.get(company, version=aggregate.version)
        assert (replayed.roles["bob"], replayed.grants["bob"]) == ("VIEW_ONLY", [])
    finally:
        writer.close()


def test_a_company_with_a_version_1_user_added_takes_new_commands(durable_store_url: str) -> None:
    """R5: a fresh billing center on the store loads the upcast company and acts on it."""
    env = eventsourcing_env(durable_store_url)
    writer = billing_center(env)
    try:
        company = enrolled_company(writer)
        aggregate = writer.company(company)
        aggregate.add_user(ADMIN, "bob", Role.VIEW_ONLY)
        writer.recorder.insert_events(
            [as_version_1(writer, writer.mapper.to_stored_event(aggregate.collect_events()[0]))]
        )
    finally:
        writer.close()
    reader = billing_center(env)
    try:
        add_user(reader, company, "carol", Role.VIEW_ONLY)
        assert reader.company(company).grants == {ADMIN: [], "bob": [], "carol": []}
    finally:
        reader.close()
