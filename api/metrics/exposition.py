"""Where the metrics are read: `GET /metrics` on the API port only when
`BILLING_METRICS_PUBLIC=true` (otherwise that path is like any other unknown one: 401
without a token, 404 with one), and without a token on `--metrics-port`
(`BILLING_METRICS_PORT`, bound to `BILLING_METRICS_HOST`).

Multiprocess mode: `serve --workers N > 1` sets `PROMETHEUS_MULTIPROC_DIR`; each scrape then
adds up every worker's counters and histograms from that folder. The workers share the
metrics port: the first to bind it serves it, the others log that it is taken.
"""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from uuid import UUID
from wsgiref.simple_server import WSGIServer

from eventsourcing.application import Application
from fastapi import Request, Response
from prometheus_client import REGISTRY, CollectorRegistry, generate_latest, start_http_server
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

from api.metrics.collectors import (
    OutboxCollector,
    PoolCollector,
    ProjectionCollector,
    store_positions,
)
from projections.queries import ReadModels
from projections.runner import MESSAGES
from store.database import Database
from store.errors import STORE_ERRORS, ReplicaUnavailable

MULTIPROCESS_ENV = "PROMETHEUS_MULTIPROC_DIR"
UNANSWERED: tuple[type[Exception], ...] = (*STORE_ERRORS, ReplicaUnavailable)
METRICS_PATH = "/metrics"
log = logging.getLogger("billing_center.metrics")


class Scrape(Collector):
    """One scrape: the recorded series (every worker's in multiprocess mode) and the
    collectors that read the database (skipped while it does not answer, so the request
    and error series still come through)."""

    def __init__(self, collectors: list[Collector]) -> None:
        self.collectors = collectors

    def collect(self) -> Iterator[Any]:
        yield from _recorded().collect()
        for collector in self.collectors:
            try:
                families = list(collector.collect())
            except UNANSWERED as error:
                log.warning("metrics: %s skipped: %s", type(collector).__name__, error)
                continue
            yield from families


def prepare_multiprocess() -> None:
    """Give the workers of `serve --workers N` a folder for their metrics: the one named
    by `PROMETHEUS_MULTIPROC_DIR` (emptied of a previous run's files), else a new one."""
    folder = os.environ.get(MULTIPROCESS_ENV)
    if not folder:
        os.environ[MULTIPROCESS_ENV] = tempfile.mkdtemp(prefix="billing-metrics-")
        return
    for stale in Path(folder).glob("*.db"):
        stale.unlink()


def _recorded() -> CollectorRegistry:
    if not os.environ.get(MULTIPROCESS_ENV):
        return REGISTRY
    registry = CollectorRegistry()
    MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    return registry


def read_side_scrape(
    reads: ReadModels, db: Database, queried: Database, store: Application[UUID]
) -> Scrape:
    """The collectors over the read models (`reads`, queried on `queried`: `db` or its hot
    standby), the primary `db` the projections write, and the event `store`."""

    def backlog() -> int:
        with queried.read() as tx:
            return MESSAGES.backlog(tx)

    def pools() -> dict[str, Any]:
        replica = _pools(queried).get("replica") if queried is not db else None
        return _pools(db) | ({"replica": replica} if replica is not None else {})

    return Scrape(
        [
            ProjectionCollector(store_positions(reads, store)),
            OutboxCollector(backlog),
            PoolCollector(pools),
        ]
    )


def role_scrape(db: Database) -> Scrape:
    """What a role apart from `serve` (`projections run`, `mail send`, `webhooks run`)
    records (its counters, such as the sender's delivery failures, and prometheus-client's
    `process_*` series) and its own pools on `db`. The read models' series are `serve`'s:
    they are read from the database, whichever process applies them."""
    return Scrape([PoolCollector(lambda: _pools(db))])


@contextmanager
def metrics_served(host: str, port: int | None, scrape: Scrape) -> Iterator[None]:
    """`scrape` on `host:port` (nothing without a port) while the block runs."""
    server = serve_port(host, port, scrape)
    try:
        yield
    finally:
        if server is not None:
            server.shutdown()
            server.server_close()


def _pools(db: Database) -> dict[str, Any]:
    pools = getattr(db, "pools", None)  # SQLite has none
    return dict(pools()) if pools is not None else {}


def metrics(request: Request) -> Response:
    """The Prometheus exposition (text format 0.0.4)."""
    scrape: Scrape = request.app.state.metrics
    return Response(generate_latest(scrape), media_type=CONTENT_TYPE_PLAIN_0_0_4)


def serve_port(host: str, port: int | None, scrape: Scrape) -> WSGIServer | None:
    """Serve the scrape on `host:port` in a thread (None: no port, or a sibling has it)."""
    if port is None:
        return None
    try:
        server, _ = start_http_server(port, addr=host, registry=scrape)
    except OSError as error:
        log.info("metrics port %s:%s not served by this process: %s", host, port, error)
        return None
    return server
