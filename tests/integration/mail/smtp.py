"""A real SMTP server on loopback (aiosmtpd) that tests start, stop, and tell to refuse."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable
from email import message_from_bytes
from email.message import Message
from typing import Any

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class Inbox:
    """The aiosmtpd handler: keeps what it accepts, answers 451 while told to refuse."""

    def __init__(self) -> None:
        self.received: list[bytes] = []
        self.refusing = 0
        self.refused = 0
        self._lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        del server, session
        with self._lock:
            if self.refusing > 0:
                self.refusing -= 1
                self.refused += 1
                return "451 4.3.0 try again later"
            self.received.append(bytes(envelope.content))
        return "250 OK"

    @property
    def messages(self) -> list[Message]:
        with self._lock:
            return [message_from_bytes(raw) for raw in self.received]

    def message_ids(self) -> list[str]:
        return [str(m["Message-ID"]) for m in self.messages]


class SmtpServer:
    """aiosmtpd on 127.0.0.1 at a fixed port, so it can go down and come back."""

    def __init__(self) -> None:
        self.port = free_port()
        self.inbox = Inbox()
        self._controller: Controller | None = None

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}?from=billing@carrier.test&timeout=5"

    def start(self) -> None:
        self._controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def __enter__(self) -> SmtpServer:
        self.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()


def eventually(check: Callable[[], bool], timeout: float = 10.0) -> None:
    """Wait until `check()` holds (the sender runs in its own thread)."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        time.sleep(0.02)
