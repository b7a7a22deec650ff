"""Issue 21: an `@event` method called by keyword triggers and applies the library's own event
class without the library's per-call signature work; the events are the same."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

import pytest
from eventsourcing.application import project_aggregate
from eventsourcing.domain import CommandMethodDecorator

from domain.base import BillingAggregate, Cause, caused_by
from domain.company import Company
from domain.user import User


def _user() -> User:
    user = User(login="alice")
    user.join(uuid4(), "alice@example.com", "Alice")
    user.collect_events()
    return user


def _fields(event: Any) -> dict[str, Any]:
    return {k: v for k, v in vars(event).items() if k != "timestamp"}


def test_a_keyword_call_records_the_event_the_library_records_for_a_positional_one() -> None:
    by_keyword, by_position = _user(), _user()
    with caused_by(Cause("alice", "req-1")):
        by_keyword._preferences_changed(preferences={"invoice_available": False})
        by_position._preferences_changed({"invoice_available": False})  # the library's path
    (fast,), (library,) = by_keyword.collect_events(), by_position.collect_events()
    assert (
        type(fast).__qualname__
        == type(library).__qualname__
        == "User.NotificationPreferencesChanged"
    )
    assert type(fast) is type(library)
    assert _fields(fast) == _fields(library)
    assert vars(by_keyword).keys() == vars(by_position).keys()
    assert by_keyword.preferences == by_position.preferences == {"invoice_available": False}


def test_an_event_of_a_given_class_keeps_its_class_and_version() -> None:
    company = Company(name="Acme", general_administrator="root", accounts=[])
    company.collect_events()
    company._user_added(login="bob", role="viewer", accounts=[], added_by="root")
    (added,) = company.collect_events()
    assert type(added) is Company.UserAdded
    assert type(added).class_version == 3
    assert added.actor == "system"
    assert company.roles["bob"] == "viewer"


def test_replaying_the_events_rebuilds_the_same_aggregate() -> None:
    user = User(login="carol")
    user.join(uuid4(), "carol@example.com", "Carol")
    user.set_preferences({})
    user.change_profile("carol@example.org", "Carol C")
    events = user.collect_events()
    replayed = project_aggregate(None, events)
    assert replayed is not None
    assert vars(replayed) == vars(user)


def test_a_call_that_leaves_an_argument_out_is_refused_as_the_library_refuses_it() -> None:
    user = _user()
    with pytest.raises(TypeError, match="missing"):
        user._preferences_changed()  # type: ignore[call-arg]


def test_the_fast_methods_are_the_aggregates_event_methods() -> None:
    for aggregate in BillingAggregate.__subclasses__():
        for name, attribute in vars(aggregate).items():
            assert not isinstance(attribute, CommandMethodDecorator) or name == "__init__"
