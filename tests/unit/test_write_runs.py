"""Issue 4: a page's deferred writes go in runs of one statement, reordering only what commutes
(issue 19: each write names its table; no statement is parsed to find it)."""

from __future__ import annotations

from collections.abc import Hashable, Sequence

from projections.base import Write, batch_order
from store.database import Params

INSERT = "INSERT INTO p_profiles VALUES (?)"
UPDATE = "UPDATE p_profiles SET name = ? WHERE user_id = ?"
WIPE = "DELETE FROM p_profiles WHERE name = ?"
GRANT = "INSERT INTO p_grants VALUES (?)"
TABLE = {INSERT: "profiles", UPDATE: "profiles", WIPE: "profiles", GRANT: "grants"}


def _sent(writes: Sequence[tuple[str, Params, Hashable]]) -> list[tuple[str, Params]]:
    deferred = [Write(TABLE[sql], sql, params, key) for sql, params, key in writes]
    return [(write.sql, write.params) for write in batch_order(deferred)]


def test_writes_under_different_keys_are_grouped_into_runs() -> None:
    writes = [(INSERT, ("u1",), "u1"), (UPDATE, ("a", "u1"), "u1"),
              (INSERT, ("u2",), "u2"), (UPDATE, ("b", "u2"), "u2")]  # fmt: skip
    assert [sql for sql, _ in _sent(writes)] == [INSERT, INSERT, UPDATE, UPDATE]


def test_writes_under_one_key_keep_their_order() -> None:
    writes = [(UPDATE, ("a", "u1"), "u1"), (INSERT, ("u1",), "u1")]
    assert _sent(writes) == [(UPDATE, ("a", "u1")), (INSERT, ("u1",))]


def test_a_write_without_a_key_stays_between_what_came_before_and_after() -> None:
    writes = [(INSERT, ("u1",), "u1"), (WIPE, ("x",), None), (INSERT, ("u2",), "u2")]
    assert [params for _, params in _sent(writes)] == [("u1",), ("x",), ("u2",)]


def test_writes_to_other_tables_move_freely() -> None:
    writes = [(INSERT, ("u1",), "u1"), (GRANT, ("g",), "u1"), (INSERT, ("u2",), "u2")]
    assert [sql for sql, _ in _sent(writes)] == [GRANT, INSERT, INSERT]
