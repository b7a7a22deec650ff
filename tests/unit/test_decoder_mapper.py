"""The projections' decoder reads most events straight from their state (issue 4); with the
store's own mapper (`LeanMapper`) and the production application's (`PersonalDataMapper`,
issue 21) it must still take that path: the mapper's way (a domain event object per row,
every string read again) halved the invoices projection's catch-up when the mapper changed
class. Each mapper says whether it reads as the library does; a subclass says it again."""

from __future__ import annotations

from pathlib import Path
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.domain import DomainEventProtocol
from eventsourcing.persistence import JSONTranscoder, Mapper, StoredEvent

from projections.audit.privacy import PersonalDataMapper
from projections.events import Decoder
from store.transcoder import LeanMapper, OrjsonTranscoder
from store.url import eventsourcing_env
from tests.audit_world import center


def test_the_store_mapper_is_read_straight_from_the_state(tmp_path: Path) -> None:
    app = Application[UUID](env=eventsourcing_env(f"sqlite:///{tmp_path / 'store.sqlite'}"))
    try:
        assert type(app.mapper) is LeanMapper
        assert Decoder(app.mapper).plain
    finally:
        app.close()


def test_the_production_mapper_is_read_straight_from_the_state(tmp_path: Path) -> None:
    """C4's PrivateBillingCenter: only its personal events and the erasure go the mapper's way."""
    app = center(f"sqlite:///{tmp_path / 'store.sqlite'}")
    try:
        assert type(app.mapper) is PersonalDataMapper
        assert Decoder(app.mapper).plain
    finally:
        app.close()


def test_the_library_mapper_is_read_straight_from_the_state() -> None:
    assert Decoder(Mapper[UUID](transcoder=JSONTranscoder())).plain


class _Renaming(LeanMapper):
    """Reads otherwise than its base and does not say how it reads."""

    def to_domain_event(self, stored_event: StoredEvent) -> DomainEventProtocol[UUID]:
        return super().to_domain_event(stored_event)


def test_a_subclass_that_does_not_say_it_reads_as_the_library_goes_the_mapper_way() -> None:
    assert not Decoder(_Renaming(transcoder=OrjsonTranscoder())).plain
