"""The library's own recorder conformance cases, run against the project's SQLite recorder.

`store.sqlite_recorder.QueuedSqliteApplicationRecorder` writes every insert of the process
through one queued writer connection, group-committed (issue 21); here it meets the cases
the library runs against its own SQLite recorder (its concurrency cases included), built as
the service builds it (`eventsourcing_env` of a SQLite URL), each on a fresh file.
"""

from __future__ import annotations

import tempfile
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from unittest import TestCase
from uuid import UUID

from eventsourcing.persistence import AggregateRecorder, StoredEvent
from eventsourcing.sqlite import SQLiteFactory
from eventsourcing.tests import persistence as library  # a module: pytest collects no base
from eventsourcing.utils import Environment

from store.sqlite_recorder import QueuedSqliteApplicationRecorder
from store.url import eventsourcing_env

READERS_STOP_SECONDS = 10


class _OnTheServiceStore(TestCase):
    """The recorder as the service configures it, on a SQLite file of its own."""

    def setUp(self) -> None:
        super().setUp()
        self.folder = tempfile.TemporaryDirectory()
        url = f"sqlite:///{Path(self.folder.name) / 'events.sqlite'}"
        self.factory = SQLiteFactory(Environment("BillingCenter", eventsourcing_env(url)))

    def tearDown(self) -> None:
        # The library's concurrency case stops its reader threads without joining them: a
        # reader still in SQLite when the pool's connections close would crash the process.
        for thread in threading.enumerate():
            if thread is not threading.current_thread() and not thread.daemon:
                thread.join(READERS_STOP_SECONDS)
        self.factory.close()
        self.folder.cleanup()
        super().tearDown()

    def queued_recorder(self) -> QueuedSqliteApplicationRecorder:
        recorder = self.factory.application_recorder()
        assert isinstance(recorder, QueuedSqliteApplicationRecorder)
        return recorder


class _AsAggregateRecorder(AggregateRecorder):
    """The recorder seen through the aggregate recorder's contract (ids are not answered)."""

    def __init__(self, recorder: QueuedSqliteApplicationRecorder) -> None:
        self.recorder = recorder

    def insert_events(self, stored_events: Sequence[StoredEvent], **kwargs: Any) -> None:
        self.recorder.insert_events(stored_events, **kwargs)

    def select_events(
        self,
        originator_id: UUID | str,
        *,
        gt: int | None = None,
        lte: int | None = None,
        desc: bool = False,
        limit: int | None = None,
    ) -> Sequence[StoredEvent]:
        return self.recorder.select_events(originator_id, gt=gt, lte=lte, desc=desc, limit=limit)


class TestQueuedRecorderAsAggregateRecorder(_OnTheServiceStore, library.AggregateRecorderTestCase):
    """The library's aggregate recorder cases."""

    def create_recorder(self) -> AggregateRecorder:
        return _AsAggregateRecorder(self.queued_recorder())


class TestQueuedApplicationRecorder(
    _OnTheServiceStore, library.ApplicationRecorderTestCase[QueuedSqliteApplicationRecorder]
):
    """The library's application recorder cases (its concurrency cases included)."""

    def create_recorder(self) -> QueuedSqliteApplicationRecorder:
        return self.queued_recorder()
