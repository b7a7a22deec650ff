"""The event store's transcoder: the library's JSON, read with orjson."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

import orjson
from eventsourcing.persistence import (
    DatetimeAsISO,
    DecimalAsStr,
    JSONTranscoder,
    Transcoding,
    UUIDAsHex,
)

_MARKER_KEYS = 2  # a transcoded value is {"_type_": ..., "_data_": ...}

Reader = Callable[[Any], Any]
_READERS: dict[type[Transcoding], Reader] = {
    # The library's own transcodings, read by what their `decode` calls (without the method
    # call and the assertion around it).
    UUIDAsHex: UUID,
    DecimalAsStr: Decimal,
    DatetimeAsISO: datetime.fromisoformat,
}


class OrjsonTranscoder(JSONTranscoder):
    """The library's JSON transcoder, reading with orjson (issue 4: the stdlib decoder was a
    quarter of projection catch-up). It writes the same bytes as before (encoding is the
    library's), registers the same transcodings, and reads the same values: the library's
    `{"_type_": ..., "_data_": ...}` markers are revived innermost first, as its
    `object_hook` does; what orjson refuses (NaN, integers past 64 bits) the stdlib reads.
    """

    def __init__(self) -> None:
        super().__init__()
        self.readers: dict[str, Reader] = {}  # a marker's `_type_` -> what reads its text

    def register(self, transcoding: Transcoding) -> None:
        super().register(transcoding)
        self.readers[transcoding.name] = _READERS.get(type(transcoding), transcoding.decode)

    def decode(self, data: bytes) -> Any:
        try:
            value = orjson.loads(data)
        except orjson.JSONDecodeError:
            return super().decode(data)
        return self._revived(value)

    def _revived(self, value: Any) -> Any:
        if type(value) is dict:
            readers = self.readers
            for key, item in value.items():  # same keys: safe while iterating
                if type(item) is dict:
                    # A marker around text (a timestamp, a decimal, a date, a uuid: most of
                    # them) is read here; anything else, recursively.
                    data = item.get("_data_")
                    plain = type(data) is str and len(item) == _MARKER_KEYS
                    reader = readers.get(item.get("_type_", "")) if plain else None
                    value[key] = reader(data) if reader else self._revived(item)
                elif type(item) is list:
                    value[key] = self._revived(item)
            return self._decode_obj(value) if len(value) == _MARKER_KEYS else value
        if type(value) is list:
            return [self._revived(item) for item in value]
        return value
