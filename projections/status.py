"""How far each projection is, in events and in seconds, who runs it, and whether it is
stuck (issue 20): the one query behind `/health`, `billing-center projections status` and
the metrics' gauges (`report`).

Lag in seconds is the head event's time minus the last applied event's time (both the
events' own timestamps, so the clocks of the workers do not enter it). `stalled` is a
projection behind the head whose position has not moved for `stall_seconds` since it had
something to apply: since the later of its last move (`projection_tracking.moved_at`,
written with the position) and the time of the first event it has not applied, so a
projection idle at the head for an hour is not stalled the instant a new event arrives.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from uuid import UUID

from eventsourcing.application import Application

from projections.events import Decoder
from projections.failures import live_failures
from projections.queries import ProjectionStatus
from projections.runner import RowsRecorder
from projections.tracking import UNITS, unit_positions
from store.database import Database, PostgresDatabase
from store.locks import lease_owners

STALL_SECONDS = 30.0
"""A projection behind the head whose position has not moved for this long is `stalled`."""

Clock = Callable[[], datetime]


def _utc_now() -> datetime:
    return datetime.now(UTC)


def report(
    db: Database,
    store: Application[UUID],
    *,
    now: Clock = _utc_now,
    stall_seconds: float = STALL_SECONDS,
) -> list[ProjectionStatus]:
    """Each unit's (projection's, or segment's: `invoices/0`) position, the head, the lag
    in events and seconds, the owner of its lease, how long it has waited with work to do,
    and whether it is stalled."""
    head = store.recorder.max_notification_id() or 0
    with db.read() as tx:
        tracked = unit_positions(tx)
        failures = live_failures(tx)
    owners = _owners(db)
    times = _EventTimes(store)
    at = now()
    statuses = []
    for name in UNITS:  # each projection, and each segment of a segmented one
        position, moved = tracked.get(name, (0, None))
        lag_seconds = waiting = 0.0
        if position < head:
            lag_seconds = _seconds(times.of(head), times.of(max(position, 1)))
            since = [t for t in (_instant(moved), times.after(position)) if t is not None]
            waiting = max(0.0, (at - max(since)).total_seconds()) if since else 0.0
        statuses.append(
            ProjectionStatus(
                name,
                position,
                head,
                head - position,
                failures.get(name),
                lag_seconds=lag_seconds,
                owner=owners.get(name),
                waiting_seconds=waiting,
                stalled=position < head and waiting >= stall_seconds,
            )
        )
    return statuses


def _owners(db: Database) -> dict[str, str]:
    """Who holds each unit's lease: a session advisory lock on the primary, which a hot
    standby's `pg_locks` never shows (issue 20), so read there whatever serves reads."""
    if not isinstance(db, PostgresDatabase):
        return {}
    with db.primary() as tx:
        return lease_owners(tx, db.schema, UNITS)


def _seconds(later: datetime | None, earlier: datetime | None) -> float:
    if later is None or earlier is None:
        return 0.0
    return max(0.0, (later - earlier).total_seconds())


def _instant(text: object) -> datetime | None:
    if not text:
        return None
    moment = datetime.fromisoformat(str(text))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class _EventTimes:
    """The recorded time of an event at (or first after) a position, read once each."""

    def __init__(self, store: Application[UUID]) -> None:
        self.store = store
        self.decoder = Decoder(store.mapper)
        self.known: dict[int, datetime | None] = {}

    def of(self, position: int) -> datetime | None:
        """The time of the event at `position` (or the first one after it)."""
        return self.after(position - 1)

    def after(self, position: int) -> datetime | None:
        """The time of the first event after `position`."""
        if position not in self.known:
            self.known[position] = self._read(position)
        return self.known[position]

    def _read(self, after: int) -> datetime | None:
        recorder = self.store.recorder
        try:
            if isinstance(recorder, RowsRecorder):
                rows = recorder.notification_rows(after, 1)
            else:
                rows = [
                    (n.id, n.originator_id, n.originator_version, n.topic, n.state)
                    for n in recorder.select_notifications(after + 1, 1)
                ]
            if not rows:
                return None
            moment = self.decoder(rows[0]).recorded_at
        except Exception:  # an event nobody can decode (the failure says so): no time
            return None
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def by_projection(
    units: list[ProjectionStatus],
) -> list[tuple[ProjectionStatus, list[ProjectionStatus]]]:
    """Each projection as one row (its least position, its greatest lags, stalled if a
    segment is), with its segments' own rows (none for a projection that is not split)."""
    grouped: dict[str, list[ProjectionStatus]] = {}
    for unit in units:
        grouped.setdefault(unit.name.split("/")[0], []).append(unit)
    merged: list[tuple[ProjectionStatus, list[ProjectionStatus]]] = []
    for name, parts in grouped.items():
        if len(parts) == 1 and parts[0].name == name:
            merged.append((parts[0], []))
            continue
        least = min(parts, key=lambda p: p.position)
        owners = {p.owner for p in parts}
        whole = replace(
            least,
            name=name,
            failure=next((p.failure for p in parts if p.failure), None),
            lag_seconds=max(p.lag_seconds for p in parts),
            owner=owners.pop() if len(owners) == 1 else ", ".join(sorted(map(str, owners))),
            waiting_seconds=max(p.waiting_seconds for p in parts),
            stalled=any(p.stalled for p in parts),
        )
        merged.append((whole, parts))
    return merged
