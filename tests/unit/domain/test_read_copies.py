"""The aggregates a process keeps for queries (`domain.application.cache.ReadCopies`): a
copy once handed out is shared by readers and never changes; a newer state replaces it."""

from __future__ import annotations

from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event

from domain.application.cache import ReadCopies, copied


class Ledger(Aggregate):
    """An aggregate holding nested containers, as a company does (roles, grants)."""

    def __init__(self) -> None:
        self.entries: dict[str, list[int]] = {}

    @event("Noted")
    def note(self, key: str, amount: int) -> None:
        self.entries.setdefault(key, []).append(amount)


def _noted(app: Application[UUID], *amounts: int) -> Ledger:
    ledger = Ledger()
    for amount in amounts:
        ledger.note("a", amount)
    app.save(ledger)
    return ledger


def test_a_copy_shares_no_container_with_its_original() -> None:
    ledger = _noted(Application[UUID](), 1)
    twin = copied(ledger)
    twin.note("a", 2)
    twin.note("b", 3)
    assert ledger.entries == {"a": [1]}
    assert twin.entries == {"a": [1, 2], "b": [3]}
    assert (twin.id, twin.version) == (ledger.id, ledger.version + 2)


def test_a_newer_state_replaces_the_shared_copy_without_changing_it() -> None:
    app = Application[UUID]()
    ledger = _noted(app, 1)
    copies = ReadCopies(Ledger)
    events, load = app.repository.event_store, app.repository.get
    shared = copies.current(ledger.id, events, load)
    assert copies.current(ledger.id, events, load) is shared  # nothing newer: the same copy

    ledger.note("a", 2)
    app.save(ledger)
    fresh = copies.current(ledger.id, events, load)

    assert fresh.entries == {"a": [1, 2]}
    assert fresh.version == ledger.version
    assert shared.entries == {"a": [1]}, "a reader's copy changed under it"
    assert copies.current(ledger.id, events, load) is fresh
