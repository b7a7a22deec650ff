"""C4: erasure without rewriting. Names and e-mails in events are sealed with a key per
person; destroying that key erases them everywhere at once, while the event rows (and so
every hash chain over them) stay exactly as they were.

The person is the User aggregate (one per login, `domain.user.login_id`): every event that
carries personal data belongs to it (UserJoinedCompany, UserProfileChanged, and the User
snapshots). Logins themselves are pseudonymous identifiers and stay in clear: they are the
keys the history is joined on. Sealing happens in the application's mapper, so the domain
never sees ciphertext and the store never sees plaintext.
"""

from __future__ import annotations

import base64
import contextlib
import secrets
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, ClassVar
from uuid import UUID, uuid4

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from eventsourcing.application import Application
from eventsourcing.domain import DomainEventProtocol, Snapshot
from eventsourcing.persistence import Mapper, StoredEvent, Transcoder
from eventsourcing.utils import get_topic

from domain.application import BillingCenter
from domain.caller import Caller
from domain.user import ERASED, User, login_id
from store.sidestore import SideStore
from store.transcoder import LeanMapper

ERASER = "privacy-forget"
"""Who the erasure event names: the operator's `billing-center privacy forget`."""
PREFIX = "pii:v1:"
NONCE_BYTES = 12
KEY_CACHE_SECONDS = 2.0
"""How long a process trusts a key it has read: a `forget` in another process takes
effect there within this time (for events it decodes afresh)."""

PERSONAL_FIELDS: dict[str, tuple[str, ...]] = {
    get_topic(User.UserJoinedCompany): ("email", "name"),  # type: ignore[attr-defined]
    get_topic(User.UserProfileChanged): ("email", "name"),  # type: ignore[attr-defined]
}
"""The fields of each event topic that hold personal data."""

PERSONAL_EVENT_FIELDS = {
    topic.rpartition(".")[2]: fields for topic, fields in PERSONAL_FIELDS.items()
}
"""The same, by event name (`UserJoinedCompany`), as the read models know events."""

ERASURE_TOPIC = get_topic(User.PersonalDataErased)  # type: ignore[attr-defined]
"""The event that tells every process a person's data is erased (C4)."""

USER_TOPIC = get_topic(User)
SNAPSHOT_TOPIC = get_topic(Snapshot)
SNAPSHOT_FIELDS = ("email", "name")


class PersonKeys:
    """The key table: one live AES-256 key per person, destroyed on request."""

    def __init__(self, store: SideStore) -> None:
        self._store = store
        self._cache: dict[str, tuple[float, bytes | None]] = {}
        self._lock = threading.Lock()
        self._last_destroyed: str | None = None

    def key_for_writing(self, subject: str) -> tuple[str, bytes]:
        """The person's live key, created on first use."""
        rows = self._store.query(
            "SELECT key_id, secret FROM audit_person_keys"
            " WHERE subject = ? AND secret IS NOT NULL ORDER BY created_at DESC",
            (subject,),
        )
        if rows:
            return rows[0][0], base64.b64decode(rows[0][1])
        key_id, secret = uuid4().hex, secrets.token_bytes(32)
        with self._store.transaction() as cursor:
            cursor.execute(
                "INSERT INTO audit_person_keys (key_id, subject, secret, created_at)"
                " VALUES (?, ?, ?, ?)",
                (key_id, subject, base64.b64encode(secret).decode(), _now()),
            )
        return key_id, secret

    def key(self, key_id: str) -> bytes | None:
        """A key by id; None once destroyed (or never known here)."""
        with self._lock:
            cached = self._cache.get(key_id)
        if cached and time.monotonic() - cached[0] < KEY_CACHE_SECONDS:
            return cached[1]
        rows = self._store.query("SELECT secret FROM audit_person_keys WHERE key_id = ?", (key_id,))
        secret = base64.b64decode(rows[0][0]) if rows and rows[0][0] else None
        with self._lock:
            self._cache[key_id] = (time.monotonic(), secret)
        return secret

    def refresh(self) -> None:
        """Before reading personal data for an answer: if any key was destroyed since the
        cached ones were read (by any process), ask the key table afresh. One indexed query,
        so an erasure takes effect at once, not within KEY_CACHE_SECONDS."""
        rows = self._store.query("SELECT MAX(destroyed_at) FROM audit_person_keys")
        last = rows[0][0] if rows else None
        with self._lock:
            if last != self._last_destroyed:
                self._cache.clear()
                self._last_destroyed = last

    def forget_cached(self) -> None:
        """Ask the key table afresh: a key may have been destroyed by another process."""
        with self._lock:
            self._cache.clear()

    def forget(self, subject: str) -> int:
        """Destroy every key of the person; how many were live."""
        live = "subject = ? AND secret IS NOT NULL"
        with self._store.transaction() as cursor:
            cursor.execute(f"SELECT COUNT(*) FROM audit_person_keys WHERE {live}", (subject,))
            count = int(cursor.fetchall()[0][0])
            cursor.execute(
                f"UPDATE audit_person_keys SET secret = NULL, destroyed_at = ? WHERE {live}",
                (_now(), subject),
            )
        with self._lock:
            self._cache.clear()
        return count

    def live_keys(self) -> list[tuple[str, str, str, str]]:
        """Every live key row (to copy into a replay store)."""
        rows = self._store.query(
            "SELECT key_id, subject, secret, created_at FROM audit_person_keys"
            " WHERE secret IS NOT NULL"
        )
        return [tuple(row) for row in rows]

    def adopt(self, rows: list[tuple[str, str, str, str]]) -> None:
        """Take over key rows copied from another store."""
        with self._store.transaction() as cursor:
            cursor.executemany(
                "INSERT INTO audit_person_keys (key_id, subject, secret, created_at)"
                " VALUES (?, ?, ?, ?)",
                rows,
            )


def _now() -> str:
    return datetime.now(UTC).isoformat()


class Sealer:
    """Seals and opens personal values with the keys of `PersonKeys`."""

    def __init__(self, keys: PersonKeys) -> None:
        self.keys = keys

    def seal(self, subject: str, field: str, value: str) -> str:
        """`pii:v1:<key id>:<base64(nonce + ciphertext)>`, bound to the person and field."""
        key_id, key = self.keys.key_for_writing(subject)
        nonce = secrets.token_bytes(NONCE_BYTES)
        sealed = AESGCM(key).encrypt(nonce, value.encode(), _aad(subject, field))
        return f"{PREFIX}{key_id}:{base64.b64encode(nonce + sealed).decode()}"

    def open(self, subject: str, field: str, value: Any) -> Any:
        """The plaintext; ERASED once the key is destroyed; non-sealed values as they are."""
        if not isinstance(value, str) or not value.startswith(PREFIX):
            return value
        key_id, _, body = value[len(PREFIX) :].partition(":")
        key = self.keys.key(key_id)
        if key is None:
            return ERASED
        raw = base64.b64decode(body)
        try:
            plain = AESGCM(key).decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], _aad(subject, field))
        except InvalidTag:
            return ERASED
        return plain.decode()

    def open_fields(self, topic: str, subject: str, state: dict[str, Any]) -> dict[str, Any]:
        """`state` (a decoded event's fields) with its personal fields opened."""
        for field in personal_fields(topic, state):
            state[field] = self.open(subject, field, state[field])
        return state


def _aad(subject: str, field: str) -> bytes:
    return f"{subject}:{field}".encode()


def personal_fields(topic: str, state: Mapping[str, Any]) -> tuple[str, ...]:
    """Which fields of an event (by topic and state) hold personal data."""
    if topic == SNAPSHOT_TOPIC and state.get("topic") == USER_TOPIC:
        return ()  # a snapshot's personal fields are inside its "state"
    return PERSONAL_FIELDS.get(topic, ())


class PersonalDataMapper(LeanMapper):
    """A mapper that seals personal fields on the way in and opens them on the way out.

    Decoding an erasure (`PersonalDataErased`, however this process reads it: a projection
    following the store, a repository catching up) calls `erased` with the person's id,
    so this process drops what it kept of them: its cached keys, its cached aggregate.
    Sealed, an event is written by the store's `LeanMapper` (issue 21: the production
    application writes the same bytes the lean way too).
    """

    reads_as_library: ClassVar[bool] = True
    """Every event but the personal ones and the erasure is read as the library reads it."""

    def __init__(
        self,
        transcoder: Transcoder,
        sealer: Sealer,
        erased: Callable[[UUID], None] | None = None,
    ) -> None:
        super().__init__(transcoder)
        self.sealer = sealer
        self.erased = erased

    def to_stored_event(self, domain_event: DomainEventProtocol[UUID]) -> StoredEvent:
        return super().to_stored_event(self._rewritten(domain_event, self._seal))

    def to_domain_event(self, stored_event: StoredEvent) -> DomainEventProtocol[UUID]:
        event = super().to_domain_event(stored_event)
        if stored_event.topic == ERASURE_TOPIC:
            self.sealer.keys.forget_cached()
            if self.erased is not None:
                self.erased(event.originator_id)
        opened: DomainEventProtocol[UUID] = self._rewritten(event, self._open)
        return opened

    def _rewritten(self, event: DomainEventProtocol[UUID], change: Any) -> Any:
        """`event` with its personal fields changed, in a copy; an event without any is
        itself, its state neither copied nor its person's id formatted (issue 21: that was a
        third of writing a command's event)."""
        topic = self.known(type(event))[0]
        fields = PERSONAL_FIELDS.get(topic, ())
        snapshot = topic == SNAPSHOT_TOPIC and vars(event).get("topic") == USER_TOPIC
        if not (fields or snapshot):
            return event
        state = dict(vars(event))
        subject = str(state["originator_id"])
        if snapshot:
            inner = dict(state["state"])
            for field in SNAPSHOT_FIELDS:
                inner[field] = change(subject, field, inner.get(field, ""))
            state["state"] = inner
        for field in fields:
            state[field] = change(subject, field, state[field])
        copy = object.__new__(type(event))
        object.__setattr__(copy, "__dict__", state)
        return copy

    def _seal(self, subject: str, field: str, value: Any) -> Any:
        if not isinstance(value, str) or not value or value.startswith(PREFIX):
            return value
        return self.sealer.seal(subject, field, value)

    def _open(self, subject: str, field: str, value: Any) -> Any:
        return self.sealer.open(subject, field, value)


class SealsPersonalData(Application[UUID]):
    """Mix into any Application on the billing center's store (the BillingCenter itself,
    a projections reader) so its mapper seals and opens personal data (C4).

    The key table lives beside the events, found from the application's own environment.
    """

    side_store: SideStore
    person_keys: PersonKeys
    sealer: Sealer

    def construct_mapper(self) -> Mapper[UUID]:
        """The default transcoder behind a mapper that seals personal data."""
        self.side_store = SideStore.for_env(self.env)
        self.person_keys = PersonKeys(self.side_store)
        self.sealer = Sealer(self.person_keys)
        return PersonalDataMapper(self.construct_transcoder(), self.sealer, self._evict)

    def _evict(self, aggregate_id: UUID) -> None:
        """Drop the cached copy of an erased person (the repository exists by then)."""
        cache = getattr(getattr(self, "repository", None), "cache", None)
        if cache is not None:
            with contextlib.suppress(KeyError):
                cache.get(aggregate_id, evict=True)

    def close(self) -> None:
        """Close the event store and the side store."""
        super().close()
        self.side_store.close()


@dataclass(frozen=True)
class Forgotten:
    """What `forget` did: keys destroyed, and the position of the erasure event."""

    keys: int
    position: int


class PrivateBillingCenter(SealsPersonalData, BillingCenter):
    """The BillingCenter whose events keep personal data sealed per person (C4).

    Only the mapper differs: the aggregates and commands are the domain's own, and so is
    the name (the store's tables are named after it).
    """

    name = BillingCenter.name

    def personal_values(self, login: str) -> set[str]:
        """Every name and e-mail the person's events hold, opened: what copies outside the
        store (idempotency answers) must be searched for before the keys are destroyed."""
        values: set[str] = set()
        for event in self.events.get(login_id(login)):
            state = vars(event)
            values |= {state[f] for f in PERSONAL_FIELDS.get(get_topic(type(event)), ())}
        return {v for v in values if isinstance(v, str) and v and v != ERASED}

    def forget(self, login: str) -> Forgotten:
        """C4: destroy the person's keys, then record `PersonalDataErased`, which every
        process observes (its cache and read models drop the person's name and e-mail)."""
        user = self.user(login)  # an unknown login is refused before anything is destroyed
        destroyed = self.person_keys.forget(str(user.id))
        self._evict(user.id)
        receipt = self.erase_personal_data(Caller(ERASER), login)
        # A profile change that raced the erasure was sealed with a key made after the
        # first destruction: that one goes too, so nothing written before the event opens.
        destroyed += self.person_keys.forget(str(user.id))
        return Forgotten(destroyed, receipt.position)
