"""The library's own recorder conformance cases, run against the project's SQLite recorder.

`store.sqlite_recorder.QueuedSqliteApplicationRecorder` writes every insert of the process
through one queued writer connection, group-committed (issue 21); here it meets the cases
the library runs against its own SQLite recorder (its concurrency cases included), built as
the service builds it (`eventsourcing_env` of a SQLite URL), each on a fresh file.
"""

from __future__ import annotations

import tempfile
import threading
from pathlib import Path
from unittest import TestCase

from eventsourcing.persistence import AggregateRecorder
from eventsourcing.sqlite import SQLiteFactory
from eventsourcing.tests import persistence as library  # a module: pytest collects no base
from eventsourcing.utils import Environment

from store.sqlite_recorder import QueuedSqliteApplicationRecorder
from store.url import eventsourcing_env
from tests.integration.recorder_cases import AsAggregateRecorder

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


class TestQueuedRecorderAsAggregateRecorder(_OnTheServiceStore, library.AggregateRecorderTestCase):
    """The library's aggregate recorder cases."""

    def create_recorder(self) -> AggregateRecorder:
        return AsAggregateRecorder(self.queued_recorder())


class TestQueuedApplicationRecorder(
    _OnTheServiceStore, library.ApplicationRecorderTestCase[QueuedSqliteApplicationRecorder]
):
    """The library's application recorder cases (its concurrency cases included)."""

    def create_recorder(self) -> QueuedSqliteApplicationRecorder:
        return self.queued_recorder()
