"""Issue 4: stored events are read with orjson, and read exactly as the library reads them."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from uuid import uuid4

from eventsourcing.persistence import DatetimeAsISO, DecimalAsStr, JSONTranscoder, UUIDAsHex

from store.transcoder import OrjsonTranscoder
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
    state = {"amount": Decimal("1.00"), "id": uuid4(), "text": "café"}
    library, ours = _registered(JSONTranscoder()), _registered(OrjsonTranscoder())
    assert ours.encode(state) == library.encode(state)


def test_orjson_transcoder_falls_back_on_what_orjson_refuses() -> None:
    stored = b'{"big": 123456789012345678901234567890, "nan": NaN}'
    decoded = _registered(OrjsonTranscoder()).decode(stored)
    assert decoded["big"] == 123456789012345678901234567890
    assert decoded["nan"] != decoded["nan"]


def test_durable_stores_use_the_orjson_transcoder() -> None:
    env = eventsourcing_env("postgresql://u:p@localhost:5432/db")
    assert env["TRANSCODER_TOPIC"] == "store.transcoder:OrjsonTranscoder"
