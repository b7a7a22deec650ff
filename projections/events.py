"""Events as the projections see them: a notification of the store, decoded once."""

from __future__ import annotations

import functools
import re
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, NamedTuple
from uuid import UUID

import orjson
from eventsourcing.domain import DomainEvent
from eventsourcing.persistence import Mapper, Notification
from eventsourcing.utils import resolve_topic

from projections.audit.privacy import ERASURE_TOPIC, PERSONAL_FIELDS, SNAPSHOT_TOPIC
from store.transcoder import reads_as_library

_ENVELOPE = ("originator_id", "originator_version", "timestamp")
_PLAIN = {str, int, bool, float, type(None)}
REPLACEMENT = "\ufffd"


class EventRecord(NamedTuple):
    """One event at its store position: its type (`RoleChanged`), aggregate and data.

    A named tuple, not a frozen dataclass: a page makes thousands, and the dataclass's
    guarded `__init__` cost more than the rest of the record (issue 4)."""

    position: int
    type: str
    aggregate_type: str
    aggregate_id: UUID
    version: int
    recorded_at: datetime
    data: dict[str, Any]
    key: str  # the aggregate id as text, as the read models store it (made once per event)

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


Row = tuple[int, Any, int, str, bytes]  # position, originator id, version, topic, state


class Holdable:
    """Event data as a read model's database can hold it: each character it refuses (a NUL
    on PostgreSQL) becomes U+FFFD. Issue 17: events stored before the text rule may hold
    one, and copying it stopped the projection; the stored event itself is never changed
    (audit exports read the store and carry it exactly)."""

    def __init__(self, unholdable: str) -> None:
        self.table = {ord(c): REPLACEMENT for c in unholdable}
        # How a JSON state spells them (`\u0000`): most events are let through unread. One
        # search in C per state (a generator through `any` cost more than decoding the
        # envelope; issue 19).
        marks = b"|".join(re.escape(orjson.dumps(c)[1:-1]) for c in unholdable)
        self.search = re.compile(marks).search

    def in_state(self, state: bytes) -> bool:
        """Whether a JSON state may hold a refused character."""
        return self.search(state) is not None

    def __call__(self, value: Any) -> Any:
        """`value` with every refused character replaced, through dicts and lists."""
        if isinstance(value, str):
            return value.translate(self.table)
        if isinstance(value, dict):
            return {self(k): self(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self(v) for v in value]
        if type(value) is tuple:
            return tuple(self(v) for v in value)
        return value


class Decoder:
    """Stored events as records. The library's mapper makes a domain event object, which
    the record then copied; for most events the record is now made straight from the
    transcoded state, which is all that object would have held (issue 4: reading and
    decoding was half of a single projection's catch-up). The mapper's way is kept for
    what it does more: upcasting (a class past version 1), opening personal data (the
    events `PersonalDataMapper` rewrites), a cipher or a compressor, any mapper that does
    not say it reads as the library's (`store.transcoder.reads_as_library`: `LeanMapper`
    and `PersonalDataMapper` say so; a subclass must say it again, issue 21).
    Text the read models' database cannot hold is replaced (`Holdable`)."""

    def __init__(self, mapper: Mapper[UUID], unholdable: str = "") -> None:
        self.mapper = mapper
        self.plain = (
            reads_as_library(mapper) and mapper.cipher is None and mapper.compressor is None
        )
        self.holdable = Holdable(unholdable) if unholdable else None

    def __call__(self, row: Row) -> EventRecord:
        position, originator_id, version, topic, state = row
        owner, name, as_stored = _kind(topic)
        if not (self.plain and as_stored):
            record = decode(
                Notification(originator_id, version, topic, state, position), self.mapper
            )
            return self._held(record)
        data: dict[str, Any] = self.mapper.transcoder.decode(state)
        if self.holdable is not None and self.holdable.in_state(state):
            data = self.holdable(data)
        recorded_at = data.pop("timestamp")
        data.pop("class_version", None)  # as the mapper does: version 1 needs no upcast
        aggregate_id = _uuid(originator_id)
        key = str(aggregate_id)
        return EventRecord(position, name, owner, aggregate_id, version, recorded_at, data, key)

    def _held(self, record: EventRecord) -> EventRecord:
        """A record the mapper made: its state may have been sealed, so every string is read."""
        if self.holdable is None:
            return record
        return record._replace(data=self.holdable(record.data))


@functools.lru_cache(maxsize=256)
def _kind(topic: str) -> tuple[str, str, bool]:
    """The event type's owner and name, and whether its state is read as stored (no
    upcast, no personal data to open, no erasure for the mapper to tell this process of)."""
    owner, name = _names(topic)
    current = getattr(resolve_topic(topic), "class_version", 1)
    personal = topic in PERSONAL_FIELDS or topic in (SNAPSHOT_TOPIC, ERASURE_TOPIC)
    return owner, name, current == 1 and not personal


def decode(notification: Notification, mapper: Mapper[UUID]) -> EventRecord:
    """The event of a notification, upcast to its current class version by the mapper."""
    event = mapper.to_domain_event(notification)
    owner, name = _names(notification.topic)
    data = dict(vars(event))  # a copy made in C, less the envelope (the record's own fields)
    for key in _ENVELOPE:
        data.pop(key, None)
    aggregate_id = _uuid(notification.originator_id)
    return EventRecord(
        notification.id,
        name,
        owner,
        aggregate_id,
        notification.originator_version,
        event.timestamp,  # type: ignore[attr-defined]
        data,
        str(aggregate_id),
    )


@functools.lru_cache(maxsize=256)
def _names(topic: str) -> tuple[str, str]:
    """`domain.company:Company.RoleChanged` -> ("Company", "RoleChanged")."""
    owner, _, name = topic.partition(":")[2].rpartition(".")
    return owner, name


def known_event_types() -> frozenset[str]:
    """The name of every event type this version defines (the domain's and the privacy
    mapper's events). A runner may leave unread the known types its projections do not
    apply (issue 20), never a topic it does not know: nothing decodes that one, so every
    projection must stop before it and say why."""
    seen: set[type] = set()
    todo: list[type] = [DomainEvent]
    while todo:
        subs: list[type] = todo.pop().__subclasses__()
        fresh = [sub for sub in subs if sub not in seen]
        seen.update(fresh)
        todo += fresh
    return frozenset(c.__qualname__.rpartition(".")[2] for c in seen)


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
