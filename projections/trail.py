"""Audit trail read model: every event with its position, instant, type, aggregate,
version, company, actor, correlation id, payload (JSON) and a readable summary;
filterable by company, actor, type and time (indexed), paged by position."""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, ClassVar, Unpack
from uuid import UUID

import orjson

from domain.enrollment import account_id
from domain.user import ERASED
from domain.values import AccountKey
from projections.accounts import instant
from projections.audit.privacy import PERSONAL_EVENT_FIELDS
from projections.base import Projection
from projections.events import EventRecord, jsonable
from projections.queries import DEFAULT_LIMIT, AuditAsked, AuditEntry, RowsPage
from store.database import Tx

_HIDDEN = {"actor", "correlation_id", "sealed_account_number", "lines", "sealed_secret"}
_EVENT_COLUMNS = (
    *("position", "recorded_at", "type", "aggregate_type", "aggregate_id", "version"),
    *("company_id", "actor", "correlation_id", "payload", "summary"),
)

_TEXTS = "CAST(? AS TEXT[])"
_PLAIN = frozenset((str, int, bool, float, type(None)))  # shown as they are (see `jsonable`)


def _account_of(invoice_issued: EventRecord) -> str:
    return _account_key(invoice_issued.data["account"])


@functools.lru_cache(maxsize=4096)
def _account_key(account: str) -> str:
    """An account's aggregate id (a uuid5: worth remembering across a page's invoices)."""
    return str(account_id(AccountKey.recorded(account)))


@functools.lru_cache(maxsize=1024)
def _shown(keys: tuple[str, ...]) -> tuple[str, ...]:
    """The fields a summary shows, in order: the same few per event type, so made once."""
    return tuple(sorted(k for k in keys if k not in _HIDDEN))


def summary(e: EventRecord) -> str:
    """`alice: RoleChanged login=bob role=VIEW_ONLY` (secrets and long lists left out)."""
    return _summary(e.actor, e.aggregate_type, e.type, e.data)


def _summary(actor: str, aggregate_type: str, kind: str, data: dict[str, Any]) -> str:
    fields = " ".join(
        [
            f"{k}={v if type(v) in _PLAIN else jsonable(v)}"
            for k in _shown(tuple(data))
            for v in (data[k],)
        ]
    )
    return f"{actor}: {aggregate_type}.{kind} {fields}".strip()[:500]


def erased(kind: str, data: dict[str, Any]) -> dict[str, Any]:
    """C4: an event's data with its personal fields (if it has any) shown as erased."""
    fields = PERSONAL_EVENT_FIELDS.get(kind, ())
    return {k: ERASED if k in fields else v for k, v in data.items()}


class Audit(Projection):
    """The event log, and which company each aggregate concerns."""

    tables: ClassVar[dict[str, str]] = {
        "events": "position BIGINT PRIMARY KEY, recorded_at TEXT NOT NULL, type TEXT NOT NULL, "
        "aggregate_type TEXT NOT NULL, aggregate_id TEXT NOT NULL, version BIGINT NOT NULL, "
        "company_id TEXT, actor TEXT NOT NULL, correlation_id TEXT NOT NULL, "
        "payload $json NOT NULL, summary TEXT NOT NULL",
        "companies": "aggregate_id TEXT PRIMARY KEY, company_id TEXT",
    }
    reader_indexes: ClassVar[dict[str, str]] = {
        "events_by_company": "events (company_id, position)",
        "events_by_actor": "events (actor, position)",
        "events_by_type": "events (type, position)",
        "events_by_time": "events (recorded_at)",
    }

    def __init__(self, prefix: str) -> None:
        super().__init__(prefix)
        self.rows: list[tuple[object, ...]] = []
        self.remembered: dict[str, str | None] = {}

    def finish_page(self, tx: Tx) -> None:
        """One batch per page: the audit trail is the widest write of all."""
        conflict = " ON CONFLICT (aggregate_id) DO UPDATE SET company_id = excluded.company_id"
        self.columns(
            tx,
            f"INSERT INTO @companies VALUES (?, ?){conflict}",
            f"INSERT INTO @companies SELECT * FROM unnest({_TEXTS}, {_TEXTS}){conflict}",
            list(self.remembered.items()),
        )
        tx.copy(self.prefixed("@events"), _EVENT_COLUMNS, self.rows)
        self.rows, self.remembered = [], {}

    def prepare(self, tx: Tx, events: Sequence[EventRecord]) -> None:
        """The companies of the page's aggregates (and invoices' accounts), in one query."""
        keys = {e.key for e in events if e.aggregate_type != "Company"}
        keys |= {_account_of(e) for e in events if e.type == "InvoiceIssued"}
        wanted = sorted(keys)
        self.memo |= dict.fromkeys(wanted)
        rows = self.all_in(
            tx, "SELECT aggregate_id, company_id FROM @companies WHERE aggregate_id IN", wanted
        )
        self.memo |= {str(a): c for a, c in rows}

    def event_types(self) -> None:
        """Every event: the trail keeps them all."""
        return None

    def handle(self, tx: Tx, event: EventRecord) -> None:
        if event.type == "PersonalDataErased":
            self._erase(tx, event.key)
        company = self._company(tx, event)
        self.rows.append(
            (
                event.position,
                instant(event.recorded_at),
                event.type,
                event.aggregate_type,
                event.key,
                event.version,
                company,
                event.actor,
                event.correlation_id,
                _json(event.data),
                summary(event),
            )
        )

    def _erase(self, tx: Tx, person: str) -> None:
        """C4: the trail keeps the person's earlier events, their names and e-mails erased:
        those of this page still in hand, and those already written."""
        self.rows = [_erased_row(r) if r[4] == person else r for r in self.rows]
        kinds = sorted(PERSONAL_EVENT_FIELDS)
        written = self.all(
            tx,
            "SELECT position, type, aggregate_type, payload FROM @events "
            f"WHERE aggregate_id = ? AND type IN ({', '.join('?' for _ in kinds)})",
            (person, *kinds),
        )
        for position, kind, owner, payload in written:
            data = erased(kind, payload if isinstance(payload, dict) else json.loads(payload))
            self.execute(
                tx,
                "UPDATE @events SET payload = $json, summary = ? WHERE position = ?",
                (_json(data), _summary(str(data.get("actor", "")), owner, kind, data), position),
            )

    def _remember(self, aggregate_id: str, company: str | None) -> None:
        self.memo[aggregate_id] = self.remembered[aggregate_id] = company

    def _recalled(self, tx: Tx, aggregate_id: str) -> str | None:
        if aggregate_id in self.memo:
            return self.memo[aggregate_id]  # type: ignore[no-any-return]
        row = self.one(
            tx, "SELECT company_id FROM @companies WHERE aggregate_id = ?", (aggregate_id,)
        )
        self.memo[aggregate_id] = None if row is None else row[0]
        return self.memo[aggregate_id]  # type: ignore[no-any-return]

    def _company(self, tx: Tx, e: EventRecord) -> str | None:
        """The company an event concerns: its own, its user's, its account's holder's."""
        aggregate = e.key
        if e.aggregate_type == "Company":
            return aggregate
        if e.type in {
            "UserJoinedCompany",
            "AccountEnrolled",
            "AccountReenrolled",
            "WebhookEndpointCreated",  # its deletion and disabling follow it (issue 22)
        }:
            self._remember(aggregate, e.data["company_id"])
            return str(e.data["company_id"])
        if e.type in {"UserLeftCompany", "AccountUnenrolled"}:
            return str(e.data["company_id"])
        if e.type == "InvoiceIssued":
            holder = self._recalled(tx, _account_of(e))
            self._remember(aggregate, holder)
            return holder
        return self._recalled(tx, aggregate)


def _json(data: dict[str, Any]) -> str:
    return orjson.dumps(data, default=str).decode()


def _erased_row(row: tuple[Any, ...]) -> tuple[Any, ...]:
    """A trail row not yet written (see `Audit.handle`), its personal fields erased."""
    kind, owner, actor = row[2], row[3], row[7]
    if kind not in PERSONAL_EVENT_FIELDS:
        return row
    data = erased(kind, json.loads(row[9]))
    return (*row[:9], _json(data), _summary(actor, owner, kind, data))


class AuditView:
    """Queries over the live audit trail (`audit_events`)."""

    def __init__(self, prefix: str = "audit_") -> None:
        self.projection = Audit(prefix)

    def events(self, tx: Tx, **asked: Unpack[AuditAsked]) -> RowsPage[AuditEntry]:
        where: list[str] = ["position > ?"]
        params: list[Any] = [asked.get("after", 0)]
        company_id, actor = asked.get("company_id"), asked.get("actor")
        types, since, until = asked.get("types"), asked.get("since"), asked.get("until")
        limit = asked.get("limit", DEFAULT_LIMIT)
        if company_id is not None:
            where.append("company_id = ?")
            params.append(str(company_id))
        if actor is not None:
            where.append("actor = ?")
            params.append(actor)
        if types:
            where.append(f"type IN ({', '.join('?' for _ in types)})")
            params += list(types)
        if since is not None:
            where.append("recorded_at >= ?")
            params.append(instant(since.astimezone(UTC)))
        if until is not None:
            where.append("recorded_at < ?")
            params.append(instant(until.astimezone(UTC)))
        rows = self.projection.all(
            tx,
            "SELECT position, recorded_at, type, aggregate_id, version, company_id, actor, "
            f"correlation_id, payload, summary FROM @events WHERE {' AND '.join(where)} "
            "ORDER BY position LIMIT ?",
            [*params, limit + 1],
        )
        items = [_entry(r) for r in rows[:limit]]
        return RowsPage(items, str(items[-1].position) if len(rows) > limit else None)


def _entry(r: tuple[Any, ...]) -> AuditEntry:
    payload = r[8] if isinstance(r[8], dict) else json.loads(r[8])
    return AuditEntry(
        int(r[0]),
        datetime.fromisoformat(r[1]),
        r[2],
        UUID(r[3]),
        int(r[4]),
        UUID(r[5]) if r[5] else None,
        r[6],
        r[7],
        payload,
        r[9],
    )
