"""Copy the store as it was at an instant into another store, for an investigation.

Events recorded at or before `until` are copied in store order, each aggregate's sequence
cut at its first later event (so no aggregate has a hole); the person keys still alive
are copied too, so the copy reads personal data as the source does. Positions are
renumbered by the target store; snapshots are not copied (the target rebuilds without).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from eventsourcing.persistence import ApplicationRecorder, StoredEvent

from projections.audit.privacy import PersonKeys
from projections.audit.records import PAGE, decoded, notifications, recorded_at


def replay(
    source: ApplicationRecorder,
    target: ApplicationRecorder,
    until: datetime,
    *,
    source_keys: PersonKeys | None = None,
    target_keys: PersonKeys | None = None,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Copy events up to `until` from `source` into `target`; how many were copied."""
    if source_keys is not None and target_keys is not None:
        target_keys.adopt(source_keys.live_keys())
    cut: set[str] = set()
    page: list[StoredEvent] = []
    copied = 0
    for notification in notifications(source):
        aggregate = str(notification.originator_id)
        if aggregate in cut or recorded_at(decoded(notification)) > until:
            cut.add(aggregate)
            continue
        page.append(StoredEvent(
            notification.originator_id, notification.originator_version,
            notification.topic, notification.state,
        ))  # fmt: skip
        if len(page) >= PAGE:
            copied += _flush(target, page, progress, notification.id)
    return copied + _flush(target, page, progress, None)


def _flush(
    target: ApplicationRecorder,
    page: list[StoredEvent],
    progress: Callable[[int], None] | None,
    position: int | None,
) -> int:
    count = len(page)
    if page:
        target.insert_events(page)
        page.clear()
    if progress and position is not None:
        progress(position)
    return count
