"""The event store's transcoder and mapper: the library's JSON, written with one kept C
encoder and read with orjson; the library's stored events, mapped without its per-event
lookups (issue 21)."""

from __future__ import annotations

import json.encoder
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Any, ClassVar
from uuid import UUID

import orjson
from eventsourcing.domain import DomainEventProtocol
from eventsourcing.persistence import (
    DatetimeAsISO,
    DecimalAsStr,
    JSONTranscoder,
    Mapper,
    StoredEvent,
    Transcoding,
    UUIDAsHex,
)
from eventsourcing.utils import get_topic

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

    It writes with the C encoder that the library's `json.JSONEncoder` builds on every call,
    built once (issue 21: building it was half of encoding an event's state). Kept without
    the circular-reference markers, it holds no state between calls, so threads share it:
    an event's state holds no cycle (one would end in RecursionError, not ValueError).
    """

    def __init__(self) -> None:
        super().__init__()
        self.readers: dict[str, Reader] = {}  # a marker's `_type_` -> what reads its text
        encoder = self.encoder
        make: Any = getattr(json.encoder, "c_make_encoder", None)  # None without the C module
        self._chunks: Callable[[Any, int], list[str]] | None = make and make(
            None, encoder.default, json.encoder.encode_basestring, encoder.indent,
            encoder.key_separator, encoder.item_separator, encoder.sort_keys,
            encoder.skipkeys, encoder.allow_nan,
        )  # fmt: skip

    def encode(self, obj: Any) -> bytes:
        chunks = self._chunks
        if chunks is None or type(obj) is not dict:  # the library's own path
            return super().encode(obj)
        return "".join(chunks(obj, 0)).encode("utf8")

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


def reads_as_library(mapper: Mapper[UUID]) -> bool:
    """Whether `mapper` makes, of a stored event that needs no upcast and holds no personal
    data (its sealed fields, an erasure), the domain event the library's own `Mapper`
    makes: the library's class itself, or a class that says so in its own body
    (`reads_as_library = True`). The claim is not inherited: any override
    (`to_domain_event`, a transcoder or a cipher chosen in `__init__`) can change reading,
    so a subclass is read the mapper's way until its own author says it reads the same
    (issue 21: the projections' decoder reads such events straight from their state)."""
    kind = type(mapper)
    return kind is Mapper or vars(kind).get("reads_as_library") is True


class LeanMapper(Mapper[UUID]):
    """The library's mapper (selected with its `MAPPER_TOPIC`), writing the same stored
    events with each event class's topic and class version looked up once, and the state
    encoded by the transcoder directly (issue 21). Reading is the library's."""

    reads_as_library: ClassVar[bool] = True
    """Reading is the library's (`reads_as_library`; a subclass says so itself)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._classes: dict[type, tuple[str, int]] = {}  # event class -> topic, class version
        self._plain = self.compressor is None and self.cipher is None

    def known(self, kind: type) -> tuple[str, int]:
        """An event class's topic and class version, looked up once."""
        known = self._classes.get(kind)
        if known is None:
            known = self._classes[kind] = (get_topic(kind), getattr(kind, "class_version", 1))
        return known

    def to_stored_event(self, domain_event: DomainEventProtocol[UUID]) -> StoredEvent:
        if not self._plain:
            return super().to_stored_event(domain_event)
        topic, class_version = self.known(type(domain_event))
        state = dict(vars(domain_event))
        originator_id = state.pop("originator_id")
        originator_version = state.pop("originator_version")
        if class_version > 1:
            state["class_version"] = class_version
        return StoredEvent(
            originator_id=originator_id,
            originator_version=originator_version,
            topic=topic,
            state=self.transcoder.encode(state),
        )
