"""While the store is unreachable, answer 503 with `Retry-After` at once, and resume by itself.

A request that meets a store error (the database stopped, a connection cut, no pooled
connection in time) trips the gate; until a direct probe reaches the database again (at
most one probe per `PROBE_INTERVAL_SECONDS`), every request is answered 503 without
touching the connection pools, so no request waits on a database that is not there.
`/health` says whether the store is reachable from a probe at most
`HEALTH_PROBE_MAX_AGE_SECONDS` old: anyone may call it, and a probe opens a connection of
its own, so calling it in a loop must not open connections at will (issue 17).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from anyio import to_thread
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.http.problems import PROBLEM_JSON, RETRY_AFTER_SECONDS, Problem
from api.metrics.series import STORE_ERROR_COUNT
from store.errors import STORE_ERRORS
from store.probe import Probe

PROBE_INTERVAL_SECONDS = 0.5
HEALTH_PROBE_MAX_AGE_SECONDS = 1.0
HEALTH_PATH = "/health"


class StoreGate:
    """Open while the store answers; tripped by a store error until a probe succeeds."""

    def __init__(self, probe: Probe, clock: Callable[[], float] = time.monotonic) -> None:
        self.probe, self.clock = probe, clock
        self.down = False
        self.reason: str | None = None
        self._probed = 0.0
        self._lock = threading.Lock()

    def trip(self, reason: str) -> None:
        with self._lock:
            self.down, self.reason, self._probed = True, reason, self.clock()

    def due(self, *, health: bool = False) -> bool:
        """Whether to probe now (one caller is told so, the others use its answer): while
        down, once per interval; for `/health`, when the last probe is over a second old."""
        with self._lock:
            interval = HEALTH_PROBE_MAX_AGE_SECONDS if health else PROBE_INTERVAL_SECONDS
            fresh = self.clock() - self._probed < interval
            if fresh or not (health or self.down):
                return False
            self._probed = self.clock()
            return True

    def check(self) -> bool:
        """Probe the store; whether requests may go to it."""
        reason = self.probe()
        with self._lock:
            self.down, self.reason = reason is not None, reason
            return not self.down


def unavailable_body(detail: str) -> bytes:
    """The problem+json body of a 503 while the store is unreachable."""
    return (
        Problem(
            type="https://billing-center.invalid/problems/store-unavailable",
            title="Store unavailable",
            status=503,
            detail=detail,
        )
        .model_dump_json(exclude_none=True)
        .encode()
    )


def _health_body(reason: str) -> bytes:
    return (
        b'{"status":"unavailable","store":{"reachable":false,"detail":'
        + Problem.__pydantic_serializer__.to_json(reason)
        + b"}}"
    )


async def _answer(send: Send, body: bytes, content_type: str) -> None:
    headers = [
        (b"content-type", content_type.encode()),
        (b"retry-after", str(RETRY_AFTER_SECONDS).encode()),
    ]
    await send({"type": "http.response.start", "status": 503, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class StoreGateMiddleware:
    """Answers 503 while the gate is tripped; trips it on a store error no handler took."""

    def __init__(self, app: ASGIApp, gate: Callable[[], StoreGate]) -> None:
        self.app = app
        self.gate = gate

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        gate = self.gate()
        health = scope["path"] == HEALTH_PATH
        if gate.due(health=health):
            # The probe opens a connection of its own: in the threads that call out, never
            # queued behind routes stuck on the dead store (their three threads, during an
            # outage, held /health past its 10 s in fresh-clone CI).
            limiter = scope["app"].state.calling_out
            await to_thread.run_sync(gate.check, limiter=limiter)
        if gate.down:
            reason = f"the store is unreachable: {gate.reason}"
            if health:
                await _answer(send, _health_body(reason), "application/json")
            else:
                await _answer(send, unavailable_body(reason), PROBLEM_JSON)
            return
        await self._guarded(gate, scope, receive, send)

    async def _guarded(self, gate: StoreGate, scope: Scope, receive: Receive, send: Send) -> None:
        started = False

        async def tracked(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, tracked)
        except STORE_ERRORS as error:
            STORE_ERROR_COUNT.labels("primary").inc()
            gate.trip(str(error).splitlines()[0] if str(error) else type(error).__name__)
            if started:
                raise
            await _answer(send, unavailable_body("the store is unreachable; retry"), PROBLEM_JSON)
