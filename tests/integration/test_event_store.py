"""Each supported BILLING_DATABASE_URL stores events that an Application reads back."""

from __future__ import annotations

from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event

from store.url import eventsourcing_env


class Note(Aggregate):
    """A trivial aggregate, defined in a real module so its topic resolves on replay."""

    @event("Written")
    def __init__(self, text: str) -> None:
        self.text = text

    @event("Amended")
    def amend(self, text: str) -> None:
        self.text = text


def test_saved_aggregate_reads_back_from_the_store(store_url: str) -> None:
    app = Application[UUID](env=eventsourcing_env(store_url))
    try:
        note = Note("draft")
        note.amend("final")
        app.save(note)
        stored: Note = app.repository.get(note.id)
        assert isinstance(stored, Note)
        assert (stored.text, stored.version) == ("final", 2)
    finally:
        app.close()


def test_saved_events_are_visible_in_a_second_application(durable_store_url: str) -> None:
    writer = Application[UUID](env=eventsourcing_env(durable_store_url))
    reader = Application[UUID](env=eventsourcing_env(durable_store_url))
    try:
        note = Note("shared")
        writer.save(note)
        stored: Note = reader.repository.get(note.id)
        assert isinstance(stored, Note)
        assert stored.text == "shared"
    finally:
        writer.close()
        reader.close()
