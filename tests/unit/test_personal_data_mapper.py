"""C4 and issue 21: the production application's mapper seals personal data, then writes
through the store's `LeanMapper`: the stored events are the ones the library's own mapper
writes and reads, their names and e-mails sealed, and a destroyed key still erases them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from eventsourcing.persistence import Mapper

from domain.company import Company
from domain.user import ERASED, User
from projections.audit.privacy import PREFIX, PersonalDataMapper, PrivateBillingCenter
from store.transcoder import LeanMapper
from tests.audit_world import center


@pytest.fixture
def app(tmp_path: Path) -> Iterator[PrivateBillingCenter]:
    private = center(f"sqlite:///{tmp_path / 'store.sqlite'}")
    yield private
    private.close()


def _events() -> tuple[User, list[Any]]:
    company = Company(name="Acme", general_administrator="root", accounts=["1"])
    user = User(login="bob")
    user.join(company.id, "bob@example.com", "Bob é")
    user.set_preferences({})
    return user, list(user.collect_events())


def _joined(events: list[Any]) -> Any:
    return next(e for e in events if type(e).__name__ == "UserJoinedCompany")


def test_the_production_mapper_writes_what_the_library_writes_sealed(
    app: PrivateBillingCenter,
) -> None:
    assert isinstance(app.mapper, PersonalDataMapper)
    assert isinstance(app.mapper, LeanMapper), "the store's lean writing"
    library = Mapper[UUID](transcoder=app.mapper.transcoder)
    events = _events()[1]
    for event in events:
        stored = app.mapper.to_stored_event(event)
        read = library.to_domain_event(stored)
        assert library.to_stored_event(read) == stored, "the library's bytes"
        assert vars(app.mapper.to_domain_event(stored)) == vars(event), "opened again"
    joined = library.to_domain_event(app.mapper.to_stored_event(_joined(events)))
    assert joined.email.startswith(PREFIX)  # type: ignore[attr-defined]
    assert joined.name.startswith(PREFIX)  # type: ignore[attr-defined]


def test_a_destroyed_key_erases_what_the_production_mapper_wrote(
    app: PrivateBillingCenter,
) -> None:
    user, events = _events()
    stored = app.mapper.to_stored_event(_joined(events))
    assert b"bob@example.com" not in stored.state
    app.person_keys.forget(str(user.id))
    erased = app.mapper.to_domain_event(stored)
    assert (erased.email, erased.name) == (ERASED, ERASED)  # type: ignore[attr-defined]
