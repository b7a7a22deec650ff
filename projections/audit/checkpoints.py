"""Tamper evidence in the store itself: the hash of every stored event row, chained, and
signed checkpoints of the chain's head (decision: written by `seal`, which the service
calls at export time and `billing-center audit checkpoint` calls on demand or on a timer).

`audit_chain` keeps each sealed row's hash, so `verify_store` names the exact row a DBA
edited, deleted or inserted; `audit_checkpoints` keeps signed heads, so editing
`audit_chain` to match an edited row breaks a signature check (the signing key is a file,
never in the database).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from eventsourcing.persistence import ApplicationRecorder, Notification

from projections.audit.chain import GENESIS, Signer, link, row_hash, signature_holds
from projections.audit.records import notifications
from store.sidestore import SideStore

BATCH = 5000


@dataclass(frozen=True)
class Checkpoint:
    """The chain's head after the row at `position`, signed."""

    position: int
    head: str
    signature: str
    public_key: str
    created_at: str

    def signed_bytes(self) -> bytes:
        """What the signature covers."""
        return f"billing-center store chain {self.position} {self.head}".encode()


def last_checkpoint(store: SideStore) -> Checkpoint | None:
    """The latest checkpoint, if any."""
    rows = store.query(
        "SELECT position, head, signature, public_key, created_at FROM audit_checkpoints"
        " ORDER BY position DESC LIMIT 1"
    )
    return Checkpoint(*rows[0]) if rows else None


def seal(recorder: ApplicationRecorder, store: SideStore, signer: Signer) -> Checkpoint | None:
    """Extend the chain over rows stored since the last checkpoint and sign its new head.

    One transaction: the rows' hashes and the checkpoint are written together or not at
    all. Returns the new checkpoint (the last one when nothing new was stored).
    """
    last = last_checkpoint(store)
    after = last.position if last else 0
    head = bytes.fromhex(last.head) if last else GENESIS
    with store.transaction() as cursor:
        position = after
        batch: list[tuple[int, str]] = []
        for notification in notifications(recorder, after):
            digest = row_hash(notification)
            head, position = link(head, digest), notification.id
            batch.append((position, digest.hex()))
            if len(batch) >= BATCH:
                _insert(cursor, batch)
        _insert(cursor, batch)
        if position == after:
            return last
        checkpoint = _signed(position, head.hex(), signer)
        cursor.execute(
            "INSERT INTO audit_checkpoints VALUES (?, ?, ?, ?, ?)",
            (position, checkpoint.head, checkpoint.signature, checkpoint.public_key,
             checkpoint.created_at),
        )  # fmt: skip
    return checkpoint


def _insert(cursor: Any, batch: list[tuple[int, str]]) -> None:
    if batch:
        cursor.executemany("INSERT INTO audit_chain VALUES (?, ?)", batch)
        batch.clear()


def _signed(position: int, head: str, signer: Signer) -> Checkpoint:
    created = datetime.now(UTC).isoformat()
    unsigned = Checkpoint(position, head, "", signer.public_pem().decode(), created)
    return Checkpoint(
        position, head, signer.sign(unsigned.signed_bytes()), unsigned.public_key, created
    )


@dataclass
class StoreVerdict:
    """What `verify_store` found: rows checked, the sealed position, the first problem."""

    rows: int = 0
    sealed_up_to: int = 0
    unsealed: int = 0
    problem: str | None = None

    @property
    def ok(self) -> bool:
        """Whether the store matched every checkpoint."""
        return self.problem is None


def verify_store(
    recorder: ApplicationRecorder, store: SideStore, public_pem: bytes
) -> StoreVerdict:
    """Recompute every sealed row's hash and the chain; name the first row that differs."""
    verdict = StoreVerdict()
    checkpoints = _checkpoints(store)
    for checkpoint in checkpoints.values():
        if not signature_holds(public_pem, checkpoint.signed_bytes(), checkpoint.signature):
            verdict.problem = f"checkpoint at position {checkpoint.position}: bad signature"
            return verdict
    verdict.sealed_up_to = max(checkpoints, default=0)
    rows = notifications(recorder, 0, verdict.sealed_up_to or None)
    if verdict.sealed_up_to:
        _compare(_recorded(store), rows, checkpoints, verdict)
    verdict.unsealed = sum(1 for _ in notifications(recorder, verdict.sealed_up_to))
    return verdict


def _compare(
    recorded: Iterator[tuple[int, bytes]],
    rows: Iterator[Notification],
    checkpoints: dict[int, Checkpoint],
    verdict: StoreVerdict,
) -> None:
    head = GENESIS
    row = next(rows, None)
    for position, digest in recorded:
        if row is not None and row.id < position:
            verdict.problem = f"event row at position {row.id} was inserted (never sealed)"
            return
        if row is None or row.id > position:
            verdict.problem = f"event row at position {position} was deleted"
            return
        if row_hash(row) != digest:
            verdict.problem = f"event row at position {position} was edited"
            return
        head, verdict.rows = link(head, digest), verdict.rows + 1
        if position in checkpoints and checkpoints[position].head != head.hex():
            verdict.problem = f"the recorded chain up to position {position} was edited"
            return
        row = next(rows, None)
    if row is not None:
        verdict.problem = f"event row at position {row.id} was inserted (never sealed)"


def _checkpoints(store: SideStore) -> dict[int, Checkpoint]:
    rows = store.query(
        "SELECT position, head, signature, public_key, created_at FROM audit_checkpoints"
        " ORDER BY position"
    )
    return {int(row[0]): Checkpoint(int(row[0]), *row[1:]) for row in rows}


def _recorded(store: SideStore) -> Iterator[tuple[int, bytes]]:
    after = -1
    while True:
        rows = store.query(
            "SELECT position, row_hash FROM audit_chain WHERE position > ?"
            " ORDER BY position LIMIT ?",
            (after, BATCH),
        )
        for position, digest in rows:
            yield int(position), bytes.fromhex(digest)
        if len(rows) < BATCH:
            return
        after = int(rows[-1][0])
