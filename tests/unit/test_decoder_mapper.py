"""The projections' decoder reads most events straight from their state (issue 4); with the
store's own mapper (`LeanMapper`, issue 21) it must still take that path: the mapper's way
(a domain event object per row, every string read again) halved the invoices projection's
catch-up when the mapper changed class."""

from __future__ import annotations

from pathlib import Path
from uuid import UUID

from eventsourcing.application import Application

from projections.events import Decoder
from store.transcoder import LeanMapper
from store.url import eventsourcing_env


def test_the_store_mapper_is_read_straight_from_the_state(tmp_path: Path) -> None:
    app = Application[UUID](env=eventsourcing_env(f"sqlite:///{tmp_path / 'store.sqlite'}"))
    try:
        assert type(app.mapper) is LeanMapper
        assert Decoder(app.mapper).plain
    finally:
        app.close()
