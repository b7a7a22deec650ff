"""A real webhook receiver for the tests: an HTTP server on loopback, in a thread, that
verifies every request with the `standardwebhooks` package and counts what it accepted.

It can answer 500 to the first `failures` requests (an endpoint that is down), or hold
every request until `gate` is set (an endpoint that is slow, or a request in flight).
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from standardwebhooks import Webhook, WebhookVerificationError

OK = 204
DOWN = 500
FORGED = 401


@dataclass
class Receiver:
    """What the receiver saw: verified messages by `webhook-id`, and every request."""

    url: str = ""
    secret: str = ""
    failures: int = 0
    gate: threading.Event = field(default_factory=threading.Event)
    requests: int = 0
    forged: int = 0
    accepted: Counter[str] = field(default_factory=Counter)
    bodies: dict[str, dict[str, Any]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def answer(self, headers: dict[str, str], body: bytes) -> int:
        """Verify, then count (or fail, while `failures` last)."""
        with self.lock:
            self.requests += 1
            if self.failures > 0:
                self.failures -= 1
                return DOWN
        try:
            payload = Webhook(self.secret).verify(body, headers)
        except WebhookVerificationError:
            with self.lock:
                self.forged += 1
            return FORGED
        self.gate.wait()
        with self.lock:
            self.accepted[headers["webhook-id"]] += 1
            self.bodies[headers["webhook-id"]] = payload
        return OK

    def of_type(self, kind: str) -> list[dict[str, Any]]:
        """The verified bodies of one type."""
        with self.lock:
            return [b for b in self.bodies.values() if b["type"] == kind]


def _handler(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length", "0")))
            status = receiver.answer({k.lower(): v for k, v in self.headers.items()}, body)
            self.send_response(status)
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            del format, args

    return Handler


@contextmanager
def receiving(path: str = "/hooks") -> Iterator[Receiver]:
    """A receiver listening on 127.0.0.1 until the block ends."""
    receiver = Receiver()
    receiver.gate.set()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(receiver))
    server.daemon_threads = True
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}{path}"
    thread = threading.Thread(target=server.serve_forever, name="receiver", daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()


def dumps(value: Any) -> str:
    """JSON text, for messages in assertions."""
    return json.dumps(value, sort_keys=True)
