"""Bounded load in background threads against a real service, recording every answer."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx2 as httpx

CLIENT_TIMEOUT_SECONDS = 30.0


@dataclass(frozen=True)
class Outcome:
    """One request: what was asked, the status (0: no answer), how long, notable headers."""

    kind: str
    status: int
    seconds: float
    retry_after: str | None = None
    body: str = ""
    error: str = ""


Request = Callable[[httpx.Client], tuple[str, httpx.Response]]


@dataclass
class Load:
    """`workers` threads calling `request` in a loop until stopped."""

    base_url: str
    request: Request
    workers: int = 4
    outcomes: list[Outcome] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _threads: list[threading.Thread] = field(default_factory=list)

    def __enter__(self) -> Load:
        for n in range(self.workers):
            thread = threading.Thread(target=self._run, name=f"load-{n}", daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()

    def stop(self) -> list[Outcome]:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=CLIENT_TIMEOUT_SECONDS + 5)
        return self.outcomes

    def _run(self) -> None:
        with httpx.Client(base_url=self.base_url, timeout=CLIENT_TIMEOUT_SECONDS) as client:
            while not self._stop.is_set():
                self.outcomes.append(self._one(client))

    def _one(self, client: httpx.Client) -> Outcome:
        started = time.monotonic()
        try:
            kind, response = self.request(client)
        except httpx.HTTPError as error:
            return Outcome("?", 0, time.monotonic() - started, error=repr(error))
        return Outcome(
            kind,
            response.status_code,
            time.monotonic() - started,
            response.headers.get("Retry-After"),
            response.text[:300],
        )
