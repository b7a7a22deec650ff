"""Issue 4: stored events are read with orjson, and read exactly as the library reads them."""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

from eventsourcing.persistence import (
    DatetimeAsISO,
    DecimalAsStr,
    JSONTranscoder,
    Mapper,
    UUIDAsHex,
)

from domain.company import Company
from domain.user import User
from store.transcoder import LeanMapper, OrjsonTranscoder
from store.url import eventsourcing_env


def _registered(transcoder: JSONTranscoder) -> JSONTranscoder:
    for transcoding in (UUIDAsHex(), DecimalAsStr(), DatetimeAsISO()):
        transcoder.register(transcoding)
    return transcoder


def test_orjson_transcoder_reads_nested_markers_as_the_library_does() -> None:
    state = {
        "timestamp": datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=UTC),
        "amount": Decimal("10.50"),
        "lines": [{"amount": Decimal("1.25"), "ids": [uuid4(), uuid4()]}, "plain", 3],
        "nested": {"deeper": {"id": uuid4(), "none": None, "flag": True}},
    }
    library, ours = _registered(JSONTranscoder()), _registered(OrjsonTranscoder())
    stored = library.encode(state)
    assert ours.decode(stored) == library.decode(stored) == state


def test_orjson_transcoder_writes_the_same_bytes_as_the_library() -> None:
    state = {
        "amount": Decimal("1.00"),
        "id": uuid4(),
        "text": 'café \u2028 "quoted" \\ \x00',
        "at": datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
        "nested": {"list": [1, 2.5, None, True, {"deep": Decimal("-0.01")}], "big": 2**70},
    }
    library, ours = _registered(JSONTranscoder()), _registered(OrjsonTranscoder())
    assert ours.encode(state) == library.encode(state)
    assert ours.encode([state]) == library.encode([state])  # not a dict: the library's path


def test_orjson_transcoder_falls_back_on_what_orjson_refuses() -> None:
    stored = b'{"big": 123456789012345678901234567890, "nan": NaN}'
    decoded = _registered(OrjsonTranscoder()).decode(stored)
    assert decoded["big"] == 123456789012345678901234567890
    assert decoded["nan"] != decoded["nan"]


def test_durable_stores_use_the_orjson_transcoder() -> None:
    env = eventsourcing_env("postgresql://u:p@localhost:5432/db")
    assert env["TRANSCODER_TOPIC"] == "store.transcoder:OrjsonTranscoder"


def _events() -> list[Any]:
    company = Company(name="Acme", general_administrator="root", accounts=["1"])
    company._user_added(login="bob", role="viewer", accounts=["1"], added_by="root")
    user = User(login="bob")
    user.join(company.id, "bob@example.com", "Bob é")
    user.set_preferences({})
    return [*company.collect_events(), *user.collect_events()]


def test_the_lean_mapper_writes_the_stored_events_the_library_writes() -> None:
    """Issue 21: the same topic, version and bytes, read back by the library's own mapper
    (a v3 UserAdded included: its class version is stored as the library stores it)."""
    library = Mapper[UUID](transcoder=_registered(JSONTranscoder()))
    ours = LeanMapper(transcoder=_registered(OrjsonTranscoder()))
    for event in _events():
        stored = ours.to_stored_event(event)
        assert stored == library.to_stored_event(event)
        assert vars(library.to_domain_event(stored)) == vars(event)
    assert b'"class_version":3' in ours.to_stored_event(_events()[1]).state


def test_durable_stores_use_the_lean_mapper() -> None:
    env = eventsourcing_env("sqlite:///" + str(Path(tempfile.mkdtemp()) / "m.sqlite"))
    assert env["MAPPER_TOPIC"] == "store.transcoder:LeanMapper"
