"""Figures 1 and 2: commands per second through BillingCenter, one event per command.

Each client is a user of a demo company toggling one of its notification preferences
(R8): one `NotificationPreferencesChanged` per command, answered with its own Receipt.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from api.demo import DemoGenerator, SimulatedClock
from api.keys import AesGcmSecretBox
from api.storage import eventsourcing_env
from benchmarks.report import Figure, rate
from domain.application import BillingCenter
from domain.caller import Caller
from domain.values import Notification

TOGGLED = Notification.INVOICE_AVAILABLE


def open_center(
    url: str, env: dict[str, str] | None = None
) -> tuple[BillingCenter, SimulatedClock]:
    """A BillingCenter on `url` as production builds it (or on an explicit `env`)."""
    clock = SimulatedClock()
    app = BillingCenter(
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


def command_figures(
    url: str, backend: str, seconds: float, env: dict[str, str] | None = None, label: str = ""
) -> list[Figure]:
    """Figure 1 (one client) and figure 2 (8 concurrent clients) on the store at `url`."""
    app, clock = open_center(url, env)
    try:
        togglers = clients(app, clock, 8)
        single = one_client(togglers[0], seconds)
        many = concurrent_clients(togglers, seconds)
    finally:
        app.close()
    return [
        Figure(f"1. commands/s, 1 client{label}", backend, single, "cmd/s"),
        Figure(
            f"2. commands/s, 8 clients{label}",
            backend,
            many,
            "cmd/s",
            reference=single,
            reference_name="1 client",
        ),
    ]


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
