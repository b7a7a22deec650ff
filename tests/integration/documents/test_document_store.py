"""I7: attached documents' bytes are kept by SHA-256 beside the events, on every store."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

from store.documents import document_store

CONTENT = b"%PDF-1.4 brokerage form \x00\xff bytes"


def test_i7_bytes_come_back_unchanged_under_their_sha256(store_url: str) -> None:
    store = document_store(store_url)
    digest = store.put(CONTENT)
    assert digest == hashlib.sha256(CONTENT).hexdigest()
    assert store.get(digest) == CONTENT


def test_i7_the_same_bytes_put_twice_are_kept_once(store_url: str) -> None:
    store = document_store(store_url)
    assert store.put(CONTENT) == store.put(CONTENT)
    assert store.get(hashlib.sha256(CONTENT).hexdigest()) == CONTENT


def test_an_unknown_hash_has_no_bytes(store_url: str) -> None:
    assert document_store(store_url).get("0" * 64) is None


def test_i7_documents_survive_reopening_a_durable_store(durable_store_url: str) -> None:
    digest = document_store(durable_store_url).put(CONTENT)
    assert document_store(durable_store_url).get(digest) == CONTENT


def test_sqlite_keeps_documents_in_the_events_own_file(tmp_path: Path) -> None:
    path = tmp_path / "events.sqlite"
    document_store(f"sqlite:///{path}").put(CONTENT)
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT count(*) FROM documents").fetchone() == (1,)
