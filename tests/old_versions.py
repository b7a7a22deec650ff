"""Events as an older version of the service stored them: free text that today's rules
may refuse (a NUL, a control character) reached the store before the text rule existed.

`storing_as_an_old_version` makes the application's saves store such events: every `MARK`
in a string field of an event becomes the given text on its way to the store (personal
fields too: the mark is swapped before they are sealed). The domain's checks see only the
mark, so the test keeps writing whatever rules the domain enforces from now on.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from eventsourcing.application import Application
from eventsourcing.domain import DomainEventProtocol
from eventsourcing.persistence import StoredEvent

MARK = "OLD-TEXT-MARK"
NUL = "\x00"


@contextmanager
def storing_as_an_old_version(app: Application[Any], text: str = NUL) -> Iterator[None]:
    """While open, `MARK` in any string of a saved event is stored as `text`."""
    mapper = app.mapper
    original = mapper.to_stored_event

    def to_stored_event(event: DomainEventProtocol[Any]) -> StoredEvent:
        return original(_swapped(event, text))

    mapper.to_stored_event = to_stored_event  # type: ignore[method-assign,assignment]
    try:
        yield
    finally:
        del mapper.to_stored_event


def _swapped(event: Any, text: str) -> Any:
    twin = copy.copy(event)
    for name, value in vars(event).items():
        object.__setattr__(twin, name, _swap(value, text))
    return twin


def _swap(value: Any, text: str) -> Any:
    if isinstance(value, str):
        return value.replace(MARK, text)
    if isinstance(value, list):
        return [_swap(v, text) for v in value]
    if isinstance(value, dict):
        return {k: _swap(v, text) for k, v in value.items()}
    return value
