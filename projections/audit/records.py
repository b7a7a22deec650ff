"""The event log as auditors see it (API.md "Audit event"), read straight from the store.

Records are decoded from the stored bytes with orjson (the default transcoder's markers
turned into plain JSON values), with personal fields opened or shown as erased (C4), and
each is attributed to a company as it streams past (see `Attribution`).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

import orjson
from eventsourcing.persistence import ApplicationRecorder, Notification

from projections.audit.privacy import Sealer

PAGE = 2000
"""Notifications read per query: memory stays constant whatever the store's size."""

_HIDDEN = ("timestamp", "actor", "correlation_id", "originator_topic")


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


class Attribution:
    """Which company each event belongs to, decided as the log streams past (decision).

    - a Company's events: that company;
    - a User's events from UserJoinedCompany to UserLeftCompany (inclusive): that company;
      UserRegistered and events outside membership: none;
    - an account's events while a company holds it, from its enrollment to its
      unenrollment (inclusive); while unenrolled, its last holder (paper billing, A4);
      before any enrollment: none;
    - an invoice's events: the company the account was attributed to when the invoice was
      delivered (InvoiceDelivered precedes InvoiceIssued in the same transaction).

    Memory grows with the number of users, accounts and invoices, never with events.
    """

    def __init__(self) -> None:
        self.position = 0
        self._owner: dict[str, str | None] = {}

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
        self.position = notification.id
        aggregate = aggregate or _text(notification.originator_id)
        kind = event_type(notification.topic)
        if notification.topic.startswith("domain.company:"):
            return aggregate
        if kind in {"UserJoinedCompany", "AccountEnrolled", "AccountReenrolled"}:
            self._owner[aggregate] = state["company_id"]
        elif kind == "InvoiceDelivered":
            self._owner[state["invoice_id"]] = self._owner.get(aggregate)
        owner = self._owner.get(aggregate)
        if kind == "UserLeftCompany":
            self._owner[aggregate] = None
            return str(state["company_id"])
        return owner


class AuditLog:
    """Audit records of a store: decoded, opened (C4) and attributed."""

    def __init__(self, recorder: ApplicationRecorder, sealer: Sealer | None = None) -> None:
        self.recorder = recorder
        self.sealer = sealer
        self._attribution = Attribution()
        self._lock = threading.Lock()

    def attribution_at(self, position: int) -> Attribution:
        """Who owned what just after `position`: kept in this process and moved forward,
        so paging through the log in order reads each event about once."""
        with self._lock:
            if self._attribution.position > position:
                self._attribution = Attribution()
            cache = self._attribution
            for notification in notifications(self.recorder, cache.position, position):
                cache.company_of(notification, decoded(notification))
            cache.position = max(cache.position, position)
            return cache.copy()

    def record(self, notification: Notification, company_id: str | None) -> AuditRecord:
        """The audit record of one notification."""
        return self.as_record(notification, decoded(notification), company_id)

    def as_record(
        self,
        notification: Notification,
        state: dict[str, Any],
        company_id: str | None,
        aggregate: str = "",
    ) -> AuditRecord:
        """The audit record of a notification whose state is already decoded."""
        subject = aggregate or _text(notification.originator_id)
        if self.sealer is not None:
            self.sealer.open_fields(notification.topic, subject, state)
        payload = {k: v for k, v in state.items() if k not in _HIDDEN}
        return AuditRecord(
            position=notification.id,
            recorded_at=state["timestamp"],
            type=event_type(notification.topic),
            aggregate_id=subject,
            version=notification.originator_version,
            company_id=company_id,
            actor=state.get("actor", ""),
            correlation_id=state.get("correlation_id", ""),
            payload=payload,
        )

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
        attribution = self.attribution_at(after)
        for notification in notifications(self.recorder, after, until):
            state = decoded(notification)
            aggregate = _text(notification.originator_id)
            owner = attribution.company_of(notification, state, aggregate)
            if company_id is not None and owner != company_id:
                continue
            if not _within(recorded_at(state), since, before):
                continue
            yield self.as_record(notification, state, owner, aggregate)


def _text(aggregate_id: UUID | str) -> str:
    """An aggregate id as text (the store gives UUIDs; formatting them is costly)."""
    return aggregate_id if isinstance(aggregate_id, str) else str(aggregate_id)


def _within(instant: datetime, since: datetime | None, before: datetime | None) -> bool:
    return (since is None or instant >= since) and (before is None or instant <= before)
