"""Figures 1 and 2: commands per second through BillingCenter, one event per command.

Each client is a user of a demo company toggling one of its notification preferences
(R8): one `NotificationPreferencesChanged` per command, answered with its own Receipt.
"""

from __future__ import annotations

import os
import statistics
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from api.demo import DemoGenerator, SimulatedClock
from benchmarks.optional import library_defaults
from benchmarks.report import Figure, rate
from domain.application import BillingCenter
from domain.caller import Caller
from domain.values import Notification
from projections.audit.privacy import PrivateBillingCenter
from store.keys import AesGcmSecretBox
from store.url import eventsourcing_env

TOGGLED = Notification.INVOICE_AVAILABLE


def open_center(
    url: str, env: dict[str, str] | None = None, *, private: bool = False
) -> tuple[BillingCenter, SimulatedClock]:
    """A BillingCenter on `url` as production builds it (or on an explicit `env`); with
    `private`, the production application itself, which seals personal data (C4)."""
    clock = SimulatedClock()
    kind = PrivateBillingCenter if private else BillingCenter
    app = kind(
        env=env if env is not None else eventsourcing_env(url),
        secret_box=AesGcmSecretBox(os.urandom(32)),
        clock=clock,
    )
    return app, clock


@dataclass
class Toggler:
    """One client: flips its own preference, one command (one event) per call."""

    app: BillingCenter
    caller: Caller
    on: bool

    def __call__(self) -> int:
        self.on = not self.on
        return self.app.set_notification_preferences(self.caller, {TOGGLED: self.on}).position


def clients(app: BillingCenter, clock: SimulatedClock, count: int) -> list[Toggler]:
    """`count` users of one demo company, each ready to toggle."""
    company = DemoGenerator(app, clock, seed=1).company(0, invoices=0, users=count + 1)
    return [
        Toggler(app, user, app.user(user.login).preferences[TOGGLED.value])
        for user in company.users[:count]
    ]


def one_client(toggler: Toggler, seconds: float) -> float:
    """Commands per second of one client, after a short warm-up."""
    for _ in range(50):
        toggler()
    return rate(toggler, seconds)


def concurrent_clients(togglers: list[Toggler], seconds: float) -> float:
    """Commands per second of all clients together, each in its own thread."""
    done = [0] * len(togglers)
    start = threading.Barrier(len(togglers) + 1)
    stop = threading.Event()

    def work(i: int, toggle: Callable[[], int]) -> None:
        start.wait()
        while not stop.is_set():
            toggle()
            done[i] += 1

    threads = [threading.Thread(target=work, args=(i, t)) for i, t in enumerate(togglers)]
    for thread in threads:
        thread.start()
    start.wait()
    began = time.perf_counter()
    time.sleep(seconds)
    stop.set()
    for thread in threads:
        thread.join()
    return sum(done) / (time.perf_counter() - began)


Measure = Callable[[float], float]
"""Runs for about the given seconds and returns a rate per second."""


def repeat(operation: Callable[[], object]) -> Measure:
    """The rate of calling `operation` over and over."""
    return lambda seconds: rate(operation, seconds)


def interleaved(measures: dict[str, Measure], seconds: float, rounds: int) -> dict[str, float]:
    """Median rate of each contender, measured in alternating short rounds.

    The machine is shared (2 cores), so its load drifts: alternating the contenders and
    taking medians compares them under the same conditions.
    """
    samples: dict[str, list[float]] = {name: [] for name in measures}
    for _ in range(rounds):
        for name, measure in measures.items():
            samples[name].append(measure(seconds / rounds))
    return {name: statistics.median(values) for name, values in samples.items()}


def concurrency_figure(
    url: str, backend: str, seconds: float, rounds: int, *, defaults: bool = False
) -> Figure:
    """Figure 2: 8 concurrent clients (threads, one BillingCenter), against 1 client."""
    app, clock = open_center(url, library_defaults(url) if defaults else None)
    label = " (library defaults)" if defaults else ""
    try:
        togglers = clients(app, clock, 8)
        one_client(togglers[0], 0.2)
        measures = {
            "one": repeat(togglers[0]),
            "many": lambda d: concurrent_clients(togglers, d),
        }
        rates = interleaved(measures, 2 * seconds, rounds)
    finally:
        app.close()
    ident = "commands_8_clients_library_defaults" if defaults else "commands_8_clients"
    return Figure(f"2. commands/s, 8 clients{label}", backend, rates["many"], "cmd/s",
                  reference=rates["one"], reference_name="1 client, interleaved",
                  id=ident)  # fmt: skip


def stored_event_state(url: str) -> bytes:
    """The state bytes of a real NotificationPreferencesChanged, to size the raw rows."""
    app, clock = open_center(url)
    try:
        toggler = clients(app, clock, 1)[0]
        position = toggler()
        (notification,) = app.recorder.select_notifications(position, 1)
        return notification.state
    finally:
        app.close()
