"""The library's own recorder conformance cases, run against the project's PostgreSQL recorder.

`eventsourcing.tests.persistence` holds the cases the library runs against its own
recorders; here they run against `store.recorders.LeanPostgresApplicationRecorder`, built as
the service builds it (`eventsourcing_env` of a PostgreSQL URL), each test on a fresh database
of the throwaway server (one per xdist worker). The project has no tracking or process
recorder of the library's (the projections keep their positions in their own tables), so
`TrackingRecorderTestCase` and `ProcessRecorderTestCase` have nothing here to run against.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any, ClassVar
from unittest import TestCase

import psycopg
import pytest
from eventsourcing.persistence import (
    AggregateRecorder,
    ApplicationRecorder,
    Subscription,
)
from eventsourcing.postgres import PostgresFactory
from eventsourcing.tests import persistence as library  # a module: pytest collects no base
from eventsourcing.utils import Environment

from store.recorders import LeanPostgresApplicationRecorder, UnsupportedOriginatorIdType
from store.url import eventsourcing_env
from tests.integration.recorder_cases import AsAggregateRecorder

pytestmark = pytest.mark.postgres


@pytest.fixture(autouse=True)
def _fresh_database(request: pytest.FixtureRequest, postgres_url: str) -> None:
    """A unittest case takes no fixture arguments: it gets its database as an attribute."""
    if isinstance(request.instance, _OnTheServiceStore):
        request.instance.database_url = postgres_url


class _OnTheServiceStore(TestCase):
    """The recorder as the service configures it, on this test's own database."""

    database_url: str
    extra_env: ClassVar[dict[str, str]] = {}
    url_suffix: ClassVar[str] = ""

    def setUp(self) -> None:
        super().setUp()
        if self.url_suffix.startswith("?schema="):  # the operator creates the schema
            with psycopg.connect(self.database_url, autocommit=True) as conn:
                conn.execute(f'CREATE SCHEMA "{self.url_suffix.removeprefix("?schema=")}"')
        env = eventsourcing_env(self.database_url + self.url_suffix) | self.extra_env
        self.factory = PostgresFactory(Environment("BillingCenter", env))

    def tearDown(self) -> None:
        self.factory.close()
        super().tearDown()

    def lean_recorder(self) -> LeanPostgresApplicationRecorder:
        recorder = self.factory.application_recorder()
        assert isinstance(recorder, LeanPostgresApplicationRecorder)
        return recorder


class TestLeanRecorderAsAggregateRecorder(_OnTheServiceStore, library.AggregateRecorderTestCase):
    """The library's aggregate recorder cases."""

    def create_recorder(self) -> AggregateRecorder:
        return AsAggregateRecorder(self.lean_recorder())


class TestLeanApplicationRecorder(
    _OnTheServiceStore, library.ApplicationRecorderTestCase[LeanPostgresApplicationRecorder]
):
    """The library's application recorder cases (its concurrency cases included)."""

    listening_first = False

    def create_recorder(self) -> LeanPostgresApplicationRecorder:
        recorder = self.lean_recorder()
        if self.listening_first:
            return _ListeningFirst(recorder.datastore, events_table_name=recorder.events_table_name)
        return recorder

    def test_insert_subscribe(self) -> None:
        """The library runs this optional case for its PostgreSQL recorder: so do we."""
        self.listening_first = True
        self.optional_test_insert_subscribe()


class _ListeningFirst(LeanPostgresApplicationRecorder):
    """Hands a subscription over once its listener has run LISTEN.

    The library's subscription starts its LISTEN on a thread of its own and returns at once;
    on a loaded machine the case's next insert can NOTIFY before that LISTEN, and the case
    then waits forever for a notification already gone (a race in the case, whatever the
    recorder). Waiting here for the listener keeps the case's assertions unchanged.
    """

    def subscribe(
        self, gt: int | None = None, topics: Sequence[str] = ()
    ) -> Subscription[ApplicationRecorder]:
        since = self._now()
        subscription = super().subscribe(gt, topics)
        deadline = time.monotonic() + 30
        while not self._listening_since(since) and time.monotonic() < deadline:
            time.sleep(0.01)
        return subscription

    def _now(self) -> Any:
        with self.datastore.get_connection() as conn:
            return conn.execute("SELECT clock_timestamp() AS t").fetchone()["t"]  # type: ignore[index]

    def _listening_since(self, since: Any) -> bool:
        """A session of this database ran LISTEN after `since` and finished it."""
        with self.datastore.get_connection() as conn:
            row = conn.execute(
                "SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database()"
                " AND state = 'idle' AND query LIKE 'LISTEN %%' AND query_start > %s",
                (since,),
            ).fetchone()
        return bool(row and row["n"])


class TestLeanApplicationRecorderInASchema(TestLeanApplicationRecorder):
    """The same cases with the events in a named schema (`?schema=` in the URL)."""

    url_suffix = "?schema=billing"


class TestLeanRecorderRefusesTextOriginatorIds(_OnTheServiceStore):
    """The library also runs its cases with `ORIGINATOR_ID_TYPE=text`: a feature Billing
    Center deliberately does not offer (every aggregate id is a UUID), so instead of running
    them this asserts the refusal, before any table is created."""

    extra_env: ClassVar[dict[str, str]] = {"ORIGINATOR_ID_TYPE": "text"}

    def test_the_recorder_refuses_text_originator_ids(self) -> None:
        with pytest.raises(UnsupportedOriginatorIdType, match="ORIGINATOR_ID_TYPE=text"):
            self.factory.application_recorder()
