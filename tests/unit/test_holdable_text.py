"""Issue 17: the read models get event data as their database can hold it: a NUL becomes
U+FFFD on PostgreSQL, wherever it sits; everything else is left exactly as it was."""

from __future__ import annotations

from decimal import Decimal

import orjson

from projections.events import Holdable
from store.database import Dialect, PostgresDialect


def test_a_nul_becomes_a_replacement_character_in_values_keys_and_lists() -> None:
    held = Holdable(PostgresDialect.unholdable)
    data = {"name": "A\x00B", "lines": [{"description": "\x00"}], "by\x00": ("x\x00",)}
    assert held(data) == {
        "name": "A\ufffdB",
        "lines": [{"description": "\ufffd"}],
        "by\ufffd": ("x\ufffd",),
    }


def test_other_text_and_values_are_left_as_they_are() -> None:
    held = Holdable(PostgresDialect.unholdable)
    data = {"text": "tab\there \\u0000 é 😀", "amount": Decimal("1.50"), "n": 3, "none": None}
    assert held(data) == data


def test_a_json_state_is_read_only_when_it_may_hold_a_nul() -> None:
    held = Holdable(PostgresDialect.unholdable)
    assert held.in_state(orjson.dumps({"name": "A\x00"}))
    assert not held.in_state(orjson.dumps({"name": "A\ufffd\t\x01"}))


def test_sqlite_holds_every_character() -> None:
    assert Dialect.unholdable == ""
