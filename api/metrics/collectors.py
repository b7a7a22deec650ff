"""What a scrape reads from the database: projection positions and lag, the outbox backlog,
connection pool saturation. Custom collectors, computed at scrape time, so they are right in
multiprocess mode too (any worker reads the same database).

Issue 20 item 4 (another slice) adds a projection status query with the lag in seconds:
`ProjectionCollector` takes its figures from a `ProjectionSource`, so swapping
`store_positions` for that query is one line where `exposition.py` builds it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from eventsourcing.application import Application
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from projections.events import Decoder
from projections.queries import ProjectionStatus, ReadModels

REMEMBERED_TIMES = 64


@dataclass(frozen=True)
class ProjectionFigures:
    """One projection at a scrape: its position, the store's head, the lag in seconds."""

    name: str
    position: int
    head: int
    lag_seconds: float


ProjectionSource = Callable[[], list[ProjectionFigures]]


class ProjectionCollector(Collector):
    """`billing_projection_{position,lag_events,lag_seconds,events_applied_total}` and
    `billing_store_head_position`."""

    def __init__(self, source: ProjectionSource) -> None:
        self.source = source

    def collect(self) -> Iterator[Any]:
        figures = self.source()
        families = {
            "position": GaugeMetricFamily(
                "billing_projection_position",
                "Store position of the last event the projection applied.",
                labels=["projection"],
            ),
            "lag": GaugeMetricFamily(
                "billing_projection_lag_events",
                "Events written to the store that the projection has not applied yet.",
                labels=["projection"],
            ),
            "seconds": GaugeMetricFamily(
                "billing_projection_lag_seconds",
                "The head event's time minus the last applied event's time (0: caught up).",
                labels=["projection"],
            ),
            "applied": CounterMetricFamily(
                "billing_projection_events_applied",
                "Events the projection's live copy has applied (its position: a rebuild "
                "starts it again from 0).",
                labels=["projection"],
            ),
        }
        position, lag, seconds = families["position"], families["lag"], families["seconds"]
        applied = families["applied"]
        assert isinstance(applied, CounterMetricFamily)
        for f in figures:
            for gauge, value in ((position, f.position), (lag, max(0, f.head - f.position)),
                                 (seconds, f.lag_seconds)):  # fmt: skip
                assert isinstance(gauge, GaugeMetricFamily)
                gauge.add_metric([f.name], value)
            applied.add_metric([f.name], f.position)
        yield from families.values()
        head = GaugeMetricFamily("billing_store_head_position", "The store's last position.")
        head.add_metric([], max((f.head for f in figures), default=0))
        yield head


def store_positions(reads: ReadModels, store: Application[UUID]) -> ProjectionSource:
    """Figures from today's positions tables and the events' own recorded times."""
    times = EventTimes(store)

    def source() -> list[ProjectionFigures]:
        return [
            ProjectionFigures(s.name, s.position, s.head, _lag_seconds(s, times))
            for s in reads.status()
        ]

    return source


def _lag_seconds(status: ProjectionStatus, times: EventTimes) -> float:
    """The status's own lag in seconds when its query has one (issue 20 item 4), else
    computed here from the events' recorded times."""
    own = getattr(status, "lag_seconds", None)
    return float(own) if own is not None else times.lag(status.position, status.head)


class EventTimes:
    """When the event at a store position was recorded (the last few remembered)."""

    def __init__(self, store: Application[UUID]) -> None:
        self.store = store
        self.decoder = Decoder(store.mapper)
        self.known: dict[int, float] = {}

    def lag(self, position: int, head: int) -> float:
        """Seconds between the head event and the last applied one (the first, if none)."""
        if position >= head:
            return 0.0
        return max(0.0, self.at(head) - self.at(max(position, 1)))

    def at(self, position: int) -> float:
        if position not in self.known:
            if len(self.known) > REMEMBERED_TIMES:
                self.known.clear()
            self.known[position] = self._recorded(position)
        return self.known[position]

    def _recorded(self, position: int) -> float:
        notes = self.store.recorder.select_notifications(position, 1)
        if not notes:
            return 0.0
        n = notes[0]
        row = (n.id, n.originator_id, n.originator_version, n.topic, n.state)
        return self.decoder(row).recorded_at.timestamp()


class OutboxCollector(Collector):
    """`billing_outbox_backlog`: notifications written and not yet sent."""

    def __init__(self, backlog: Callable[[], int]) -> None:
        self.backlog = backlog

    def collect(self) -> Iterator[Any]:
        family = GaugeMetricFamily(
            "billing_outbox_backlog", "Outbox messages waiting to be sent (e-mail)."
        )
        family.add_metric([], self.backlog())
        yield family


class PoolCollector(Collector):
    """`billing_db_pool_*`: each PostgreSQL connection pool of this process (saturation is
    `(connections - idle) / max`; `waiting_requests` above 0 means saturated)."""

    def __init__(self, pools: Callable[[], Mapping[str, Any]]) -> None:
        self.pools = pools

    def collect(self) -> Iterator[Any]:
        names = {
            "pool_size": ("connections", "Connections open."),
            "pool_available": ("idle_connections", "Connections open and idle."),
            "pool_max": ("max_connections", "The most connections the pool may open."),
            "requests_waiting": ("waiting_requests", "Requests waiting for a connection."),
        }
        families = {
            key: GaugeMetricFamily(f"billing_db_pool_{name}", text, labels=["pool"])
            for key, (name, text) in names.items()
        }
        for pool_name, pool in self.pools().items():
            stats = pool.get_stats()
            for key, family in families.items():
                family.add_metric([pool_name], stats.get(key, 0))
        yield from families.values()
