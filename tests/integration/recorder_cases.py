"""What the library's recorder conformance cases need of the project's recorders."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from eventsourcing.persistence import AggregateRecorder, ApplicationRecorder, StoredEvent


class AsAggregateRecorder(AggregateRecorder):
    """An application recorder seen through the aggregate recorder's contract.

    An application recorder answers an insert with its notification ids where an aggregate
    recorder answers None; that is the only difference, so the aggregate cases (conflicts,
    atomic writes, select bounds, order and limit) run unchanged against the same SQL.
    """

    def __init__(self, recorder: ApplicationRecorder) -> None:
        self.recorder = recorder

    def insert_events(self, stored_events: Sequence[StoredEvent], **kwargs: Any) -> None:
        self.recorder.insert_events(stored_events, **kwargs)

    def select_events(self, originator_id: UUID | str, **bounds: Any) -> Sequence[StoredEvent]:
        """The same select, its bounds (gt, lte, desc, limit) passed on as given."""
        return self.recorder.select_events(originator_id, **bounds)
