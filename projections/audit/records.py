"""The event log as auditors see it (API.md "Audit event"), read straight from the store.

Records are decoded from the stored bytes with orjson (the default transcoder's markers
turned into plain JSON values), with personal fields opened or shown as erased (C4), and
each is attributed to a company as it streams past (see `Attribution`).
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple
from uuid import UUID

import orjson
from eventsourcing.persistence import ApplicationRecorder, Notification
from eventsourcing.postgres import PostgresApplicationRecorder

from projections.audit.privacy import PERSONAL_FIELDS, Sealer
from store.recorders import EventRow
from store.scan import event_pages

PAGE = 2000
"""Notifications read per query: memory stays constant whatever the store's size."""
ROWS_PAGE = 10_000
"""Rows read per query on PostgreSQL (binary tuples: a page is a few megabytes)."""

_HIDDEN = ("timestamp", "actor", "correlation_id", "originator_topic")
_OWNING = frozenset(
    ("UserJoinedCompany", "AccountEnrolled", "AccountReenrolled", "InvoiceDelivered",
     "UserLeftCompany", "WebhookEndpointCreated")
)  # fmt: skip
"""The only event types whose fields move an attribution (the others are never decoded)."""


class Row(NamedTuple):
    """A stored event as read for the audit: position, aggregate, version, topic, state."""

    position: int
    aggregate: str
    version: int
    topic: str
    state: bytes


class Canonical(NamedTuple):
    """A record ready to chain: its position and its canonical bytes (`chain.canonical`)."""

    position: int
    data: bytes


@dataclass(frozen=True)
class AuditRecord:
    """One event of the log: API.md "Audit event"."""

    position: int
    recorded_at: str
    type: str
    aggregate_id: str
    version: int
    company_id: str | None
    actor: str
    correlation_id: str
    payload: dict[str, Any]

    def as_dict(self) -> dict[str, Any]:
        """The record as plain JSON values."""
        return {
            "position": self.position,
            "recorded_at": self.recorded_at,
            "type": self.type,
            "aggregate_id": self.aggregate_id,
            "version": self.version,
            "company_id": self.company_id,
            "actor": self.actor,
            "correlation_id": self.correlation_id,
            "payload": self.payload,
        }

    def canonical(self) -> Canonical:
        """The record's position and canonical bytes."""
        return Canonical(self.position, orjson.dumps(self.as_dict(), option=orjson.OPT_SORT_KEYS))


@functools.cache
def event_type(topic: str) -> str:
    """`domain.company:Company.RoleChanged` -> `RoleChanged`."""
    return topic.rpartition(".")[2].rpartition(":")[2]


def plain(value: Any) -> Any:
    """A transcoded value as plain JSON: UUIDs, decimals and instants become strings."""
    if isinstance(value, dict):
        if "_type_" in value and "_data_" in value and len(value) == 2:  # noqa: PLR2004
            return _untyped(value["_type_"], value["_data_"])
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [plain(item) for item in value]
    return value


def _untyped(kind: str, data: Any) -> Any:
    if kind == "uuid_hex":
        return str(UUID(data))
    return plain(data)


def decoded(notification: Notification) -> dict[str, Any]:
    """A stored event's fields as plain JSON values (the instant as an ISO string)."""
    state: dict[str, Any] = orjson.loads(notification.state)
    state["timestamp"] = state["timestamp"]["_data_"]
    if notification.state.count(b'"_type_"') > 1:  # more than the timestamp's marker
        state = plain(state)
    return state


def recorded_at(state: dict[str, Any]) -> datetime:
    """When the event happened, from its decoded fields."""
    return datetime.fromisoformat(state["timestamp"])


def notifications(
    recorder: ApplicationRecorder, after: int = 0, until: int | None = None, page: int = PAGE
) -> Iterator[Notification]:
    """Every notification after position `after` (up to `until`), read a page at a time."""
    while True:
        batch = recorder.select_notifications(after, page, stop=until, inclusive_of_start=False)
        yield from batch
        if len(batch) < page:
            return
        after = batch[-1].id


def rows(recorder: ApplicationRecorder, after: int = 0, until: int | None = None) -> Iterator[Row]:
    """Every stored event after position `after` (up to `until`) as `Row`s, in order."""
    for page in row_pages(recorder, after, until):
        yield from map(Row._make, page)


def row_pages(
    recorder: ApplicationRecorder, after: int = 0, until: int | None = None
) -> Iterator[list[EventRow]]:
    """Every stored event after position `after` (up to `until`) as pages of plain tuples
    (position, aggregate id as text, version, topic, state), in order.

    On PostgreSQL: one binary COPY over the events table (`store.scan`), no UUID,
    dict or Notification objects per row; elsewhere through the recorder.
    """
    if isinstance(recorder, PostgresApplicationRecorder):
        yield from event_pages(recorder, after, until, ROWS_PAGE)
        return
    page: list[EventRow] = []
    for n in notifications(recorder, after, until):
        page.append((n.id, _text(n.originator_id), n.originator_version, n.topic, n.state))
        if len(page) == PAGE:
            yield page
            page = []
    if page:
        yield page


class Attribution:
    """Which company each event belongs to, decided as the log streams past (decision).

    - a Company's events: that company;
    - a User's events from UserJoinedCompany to UserLeftCompany (inclusive): that company;
      UserRegistered and events outside membership: none;
    - an account's events while a company holds it, from its enrollment to its
      unenrollment (inclusive); while unenrolled, its last holder (paper billing, A4);
      before any enrollment: none;
    - an invoice's events: the company the account was attributed to when the invoice was
      delivered (InvoiceDelivered precedes InvoiceIssued in the same transaction);
    - a webhook endpoint's events: the company it was created for (issue 22).

    Memory grows with the number of users, accounts and invoices, never with events.
    """

    def __init__(self) -> None:
        self.position = 0
        self._owner: dict[str, str | None] = {}

    @property
    def owners(self) -> Mapping[str, str | None]:
        """The company of each aggregate whose events move no attribution (`_kind`)."""
        return self._owner

    def copy(self) -> Attribution:
        """An independent copy."""
        twin = Attribution()
        twin.position = self.position
        twin._owner = dict(self._owner)
        return twin

    def company_of(
        self, notification: Notification, state: dict[str, Any], aggregate: str = ""
    ) -> str | None:
        """The company of this event; call in position order."""
        aggregate = aggregate or _text(notification.originator_id)
        return self.owner(notification.id, notification.topic, aggregate, state)

    def owner(
        self, position: int, topic: str, aggregate: str, state: Mapping[str, Any] | bytes
    ) -> str | None:
        """The company of the event at `position`; call in position order. `state` is
        decoded only if the event moves an attribution."""
        self.position = position
        if topic.startswith("domain.company:"):
            return aggregate
        kind = event_type(topic)
        if kind not in _OWNING:
            return self._owner.get(aggregate)
        fields = plain(orjson.loads(state)) if isinstance(state, bytes) else state
        if kind == "InvoiceDelivered":
            self._owner[fields["invoice_id"]] = self._owner.get(aggregate)
        elif kind == "UserLeftCompany":
            self._owner[aggregate] = None
            return str(fields["company_id"])
        else:
            self._owner[aggregate] = fields["company_id"]
        return self._owner.get(aggregate)


def _kind(topic: str) -> tuple[bool | None, str]:
    """Whether an event of `topic` moves an attribution (None: a company's own event, owned
    by the company), and its type, as `Attribution.owner` decides."""
    kind = event_type(topic)
    return (None if topic.startswith("domain.company:") else kind in _OWNING), kind


class AuditLog:
    """Audit records of a store: decoded, opened (C4) and attributed."""

    def __init__(self, recorder: ApplicationRecorder, sealer: Sealer | None = None) -> None:
        self.recorder = recorder
        self.sealer = sealer
        self._attribution = Attribution()
        self._lock = threading.Lock()

    def attribution_at(self, position: int) -> Attribution:
        """Who owned what just after `position`: kept in this process and moved forward,
        so paging through the log in order reads each event about once (and decodes only
        the few events that move an attribution)."""
        with self._lock:
            if self._attribution.position > position:
                self._attribution = Attribution()
            cache = self._attribution
            if position > cache.position:  # else no query: an export from 0 starts at once
                for row in rows(self.recorder, cache.position, position):
                    cache.owner(row.position, row.topic, row.aggregate, row.state)
                cache.position = position
            return cache.copy()

    def fields(self, row: Row, company_id: str | None) -> dict[str, Any]:
        """The record of a stored event as plain JSON values (keys in canonical order)."""
        state = orjson.loads(row.state)
        instant = state.pop("timestamp")["_data_"]
        if row.state.count(b'"_type_"') > 1:  # more than the timestamp's marker
            state = plain(state)
        if self.sealer is not None:
            self.sealer.open_fields(row.topic, row.aggregate, state)
        actor, correlation = state.pop("actor", ""), state.pop("correlation_id", "")
        state.pop("originator_topic", None)
        return {
            "actor": actor, "aggregate_id": row.aggregate, "company_id": company_id,
            "correlation_id": correlation, "payload": state, "position": row.position,
            "recorded_at": instant, "type": event_type(row.topic), "version": row.version,
        }  # fmt: skip

    def records(
        self,
        *,
        company_id: str | None = None,
        after: int = 0,
        until: int | None = None,
        since: datetime | None = None,
        before: datetime | None = None,
    ) -> Iterator[AuditRecord]:
        """Records in store order after `after`, of one company or all, in [since, before]."""
        for fields in self._selected(company_id, after, until, since, before):
            yield AuditRecord(**fields)

    def canonical(
        self,
        *,
        company_id: str | None = None,
        after: int = 0,
        until: int | None = None,
        since: datetime | None = None,
        before: datetime | None = None,
    ) -> Iterator[tuple[int, bytes]]:
        """The same records as `records`, as (position, canonical bytes): the export's fast
        path.

        Issue 21: rows stream from the cursor straight into the canonical encoding, in one
        loop (what `_selected` and `fields` do, without a dict of fields or a call per step);
        tests/integration/audit/test_export_bytes.py holds its bytes to the records' own.
        """
        if self.sealer is not None:
            self.sealer.keys.refresh()  # C4: a key destroyed a moment ago opens nothing
        attribution = self.attribution_at(after)
        owner_of, owners, sealer = attribution.owner, attribution.owners, self.sealer
        loads, dumps, option, marker = orjson.loads, orjson.dumps, orjson.OPT_SORT_KEYS, b'"_type_"'
        timed, personal = since is not None or before is not None, PERSONAL_FIELDS
        kinds: dict[str, tuple[bool | None, str]] = {}
        for page in row_pages(self.recorder, after, until):
            for position, aggregate, version, topic, state in page:
                if (known := kinds.get(topic)) is None:
                    known = kinds[topic] = _kind(topic)
                moves, kind = known
                if moves is None:  # a company's own event
                    owner: str | None = aggregate
                elif moves:
                    owner = owner_of(position, topic, aggregate, state)
                else:
                    owner = owners.get(aggregate)
                if company_id is not None and owner != company_id:
                    continue
                payload = loads(state)
                instant = payload.pop("timestamp")["_data_"]
                if timed and not _within(datetime.fromisoformat(instant), since, before):
                    continue
                if state.count(marker) > 1:  # more than the timestamp's marker
                    payload = plain(payload)
                if sealer is not None and topic in personal:
                    sealer.open_fields(topic, aggregate, payload)
                actor, correlation = payload.pop("actor", ""), payload.pop("correlation_id", "")
                payload.pop("originator_topic", None)
                record = {
                    "actor": actor, "aggregate_id": aggregate, "company_id": owner,
                    "correlation_id": correlation, "payload": payload, "position": position,
                    "recorded_at": instant, "type": kind, "version": version,
                }  # fmt: skip
                yield position, dumps(record, option=option)

    def _selected(
        self,
        company_id: str | None,
        after: int,
        until: int | None,
        since: datetime | None,
        before: datetime | None,
    ) -> Iterator[dict[str, Any]]:
        if self.sealer is not None:
            self.sealer.keys.refresh()  # C4: a key destroyed a moment ago opens nothing
        attribution = self.attribution_at(after)
        timed = since is not None or before is not None
        for row in rows(self.recorder, after, until):
            owner = attribution.owner(row.position, row.topic, row.aggregate, row.state)
            if company_id is not None and owner != company_id:
                continue
            fields = self.fields(row, owner)
            if timed and not _within(datetime.fromisoformat(fields["recorded_at"]), since, before):
                continue
            yield fields


def _text(aggregate_id: UUID | str) -> str:
    """An aggregate id as text (the store gives UUIDs; formatting them is costly)."""
    return aggregate_id if isinstance(aggregate_id, str) else str(aggregate_id)


def _within(instant: datetime, since: datetime | None, before: datetime | None) -> bool:
    return (since is None or instant >= since) and (before is None or instant <= before)
