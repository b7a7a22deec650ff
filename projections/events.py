"""Events as the projections see them: a notification of the store, decoded once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from eventsourcing.persistence import Mapper, Notification

_ENVELOPE = {"originator_id", "originator_version", "timestamp"}
_PLAIN = {str, int, bool, float, type(None)}


@dataclass(frozen=True)
class EventRecord:
    """One event at its store position: its type (`RoleChanged`), aggregate and data."""

    position: int
    type: str
    aggregate_type: str
    aggregate_id: UUID
    version: int
    recorded_at: datetime
    data: dict[str, Any]

    @property
    def actor(self) -> str:
        return str(self.data.get("actor", ""))

    @property
    def correlation_id(self) -> str:
        return str(self.data.get("correlation_id", ""))

    @property
    def day(self) -> date:
        """The UTC calendar date the event was recorded on."""
        return self.recorded_at.astimezone(UTC).date()


def decode(notification: Notification, mapper: Mapper[UUID]) -> EventRecord:
    """The event of a notification, upcast to its current class version by the mapper."""
    event = mapper.to_domain_event(notification)
    owner, _, name = notification.topic.partition(":")[2].rpartition(".")
    data = {k: v for k, v in vars(event).items() if k not in _ENVELOPE}
    return EventRecord(
        position=notification.id,
        type=name,
        aggregate_type=owner,
        aggregate_id=_uuid(notification.originator_id),
        version=notification.originator_version,
        recorded_at=event.timestamp,  # type: ignore[attr-defined]
        data=data,
    )


def _uuid(value: Any) -> UUID:
    if isinstance(value, UUID):
        return value
    return UUID(str(value))


def jsonable(value: Any) -> Any:
    """Event data as JSON: decimals and dates as strings."""
    if type(value) in _PLAIN:
        return value
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, Decimal | UUID | datetime | date):
        return str(value) if not isinstance(value, datetime | date) else value.isoformat()
    return value
