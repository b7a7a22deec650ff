"""The base of every aggregate: each event records who caused it and as part of what.

The cause (actor and correlation id) is set once per command by the application
service, and stamped on every event the command triggers, so history answers
"who did this, when, as part of what" without each method passing it along.
"""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass
from functools import update_wrapper
from inspect import signature
from typing import Any, Self

from eventsourcing.domain import (
    Aggregate,
    CommandMethodDecorator,
    DecoratedFuncCaller,
    decorated_func_callers,
)


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
    """An aggregate whose events carry their cause.

    Its `@event` methods are the library's, triggered and applied faster (issue 21): a call
    that passes every argument by keyword, as the domain's do, triggers its event class
    straight away, and the event calls the method with its own attributes, without the
    library's per-call signature work (about a third of a command's domain time). The
    event classes, their fields and their topics are the library's; any other call (a
    positional argument, a default left out) goes through the library's decorator.
    """

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)  # the library defines the event classes here
        for name, attribute in tuple(cls.__dict__.items()):
            if isinstance(attribute, CommandMethodDecorator) and name != "__init__":
                fast = _keyword_trigger(attribute)
                if fast is not None:
                    setattr(cls, name, fast)

    class Event(Aggregate.Event):
        """Every event: who caused it, and the request it was part of."""

        actor: str
        correlation_id: str

    class Created(Event, Aggregate.Created):
        """The first event of an aggregate."""

    def trigger_event(self, event_class: Any, **kwargs: Any) -> None:
        """Trigger an event stamped with the current cause: the library's `trigger_event`
        (an aggregate here has no explicit TOPIC), without copying its arguments twice."""
        cause = _CAUSE.get()
        stamped = {"actor": cause.actor, "correlation_id": cause.correlation_id, **kwargs}
        stamped["originator_id"] = self.id
        stamped["originator_version"] = self.version + 1
        if stamped.get("timestamp") is None:
            stamped["timestamp"] = event_class.create_timestamp()
        try:
            new_event = event_class(**stamped)
        except TypeError as e:
            raise TypeError(f"Can't construct event {event_class}: {e}") from None
        new_event.mutate(self)
        self._pending_events.append(new_event)

    @classmethod
    def _create(cls, event_class: Any, **kwargs: Any) -> Self:
        return super()._create(event_class, **_stamped(kwargs))


def _keyword_trigger(decorator: CommandMethodDecorator) -> Callable[..., None] | None:
    """The `@event` method `decorator` decorates: called with all its arguments by keyword,
    it triggers its event class at once; otherwise the library's decorator handles the call.
    The event class applies itself by calling the method with its attributes. None (the
    library's decorator stays) for a property or an event without a field per argument."""
    event_class: Any = decorated_func_callers.get(decorator)
    method = decorator.decorated_func
    names = frozenset(signature(method).parameters) - {"self"}
    if (
        event_class is None
        or decorator.decorated_property is not None
        or not names <= set(signature(event_class).parameters)
    ):
        return None

    def triggered(self: BillingAggregate, /, *args: Any, **kwargs: Any) -> None:
        if args or kwargs.keys() != names:
            decorator.__get__(self, type(self))(*args, **kwargs)
        else:
            self.trigger_event(event_class, **kwargs)

    def apply(event: Any, aggregate: Any) -> None:
        state = vars(event)
        method(aggregate, **{name: state[name] for name in names})
        super(DecoratedFuncCaller, event).apply(aggregate)  # the library's next `apply`

    event_class.apply = apply
    return update_wrapper(triggered, method)
