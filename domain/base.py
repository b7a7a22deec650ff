"""The base of every aggregate: each event records who caused it and as part of what.

The cause (actor and correlation id) is set once per command by the application
service, and stamped on every event the command triggers, so history answers
"who did this, when, as part of what" without each method passing it along.
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Self

from eventsourcing.domain import Aggregate


@dataclass(frozen=True)
class Cause:
    """Who caused the events of a command (a login or `scope:name`) and its request id."""

    actor: str
    correlation_id: str


_SYSTEM = Cause("system", "-")
_CAUSE: ContextVar[Cause] = ContextVar("cause", default=_SYSTEM)


class caused_by:  # noqa: N801 (a context manager used as a function: `with caused_by(c):`)
    """Stamp the events triggered inside the block with `cause` (a plain class: every command
    enters one, and a generator-based context manager cost three times as much; issue 21)."""

    __slots__ = ("_cause", "_token")

    def __init__(self, cause: Cause) -> None:
        self._cause = cause

    def __enter__(self) -> None:
        self._token = _CAUSE.set(self._cause)

    def __exit__(self, *_: object) -> None:
        _CAUSE.reset(self._token)


def _stamped(kwargs: dict[str, Any]) -> dict[str, Any]:
    cause = _CAUSE.get()
    return {"actor": cause.actor, "correlation_id": cause.correlation_id, **kwargs}


class BillingAggregate(Aggregate):
    """An aggregate whose events carry their cause."""

    class Event(Aggregate.Event):
        """Every event: who caused it, and the request it was part of."""

        actor: str
        correlation_id: str

    class Created(Event, Aggregate.Created):
        """The first event of an aggregate."""

    def trigger_event(self, event_class: Any, **kwargs: Any) -> None:
        """Trigger an event stamped with the current cause."""
        super().trigger_event(event_class, **_stamped(kwargs))

    @classmethod
    def _create(cls, event_class: Any, **kwargs: Any) -> Self:
        return super()._create(event_class, **_stamped(kwargs))
