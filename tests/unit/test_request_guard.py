"""Issue 17, API.md Values (limits): the guard decides who asks before it reads a byte of
the body, and bounds the body by route: 64 KiB, only the document upload (I7) up to 10 MB.

Driven as ASGI with a fake downstream app and a `receive` that counts the bytes it hands
out, so "the body is never read" is a fact observed, not a timing.
"""

from __future__ import annotations

import asyncio
import json
import threading
from dataclasses import dataclass, field
from typing import Any

import pytest
from starlette.types import Message, Scope

from api.http import middleware
from api.http.middleware import GuardMiddleware, json_depth
from api.tokens import Scope as Principal
from api.tokens import issue_token

SECRET = "guard-test-secret-of-at-least-thirty-two-bytes"
TEN_MB = 10 * 1024 * 1024
CHUNK = 64 * 1024
UPLOAD = "/v1/invoices/5f0c5b1e-2a4c-4a53-9d7e-6b1b5d2f8a10/documents"


@dataclass
class Body:
    """A request body handed out in chunks; `read` counts the bytes the app took."""

    size: int
    fill: bytes = b"{"
    read: int = 0

    async def receive(self) -> Message:
        chunk = min(CHUNK, self.size - self.read)
        self.read += chunk
        body = self.fill * chunk
        return {"type": "http.request", "body": body, "more_body": self.read < self.size}


@dataclass
class Downstream:
    """The app behind the guard: reads the body it is handed, answers 200."""

    bodies: list[bytes] = field(default_factory=list)

    async def __call__(self, _: Scope, receive: Any, send: Any) -> None:
        message = await receive()
        self.bodies.append(message.get("body", b""))
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"{}"})


def _bearer(login: str = "alice", scope: Principal | None = None) -> tuple[bytes, bytes]:
    return (b"authorization", f"Bearer {issue_token(SECRET, login, scope=scope)}".encode())


def _call(
    path: str, body: Body, *headers: tuple[bytes, bytes], method: str = "POST", length: bool = True
) -> tuple[int, dict[str, Any], Downstream]:
    downstream = Downstream()
    guard = GuardMiddleware(downstream, secret=lambda: SECRET)
    sized = [(b"content-length", str(body.size).encode())] if length else []
    scope = {"type": "http", "method": method, "path": path, "query_string": b"",
             "headers": [*sized, (b"content-type", b"application/json"), *headers],
             "client": ("192.0.2.7", 5000)}  # fmt: skip
    sent: list[Message] = []

    async def send(message: Message) -> None:
        sent.append(message)

    asyncio.run(guard(scope, body.receive, send))
    answer = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    problem = json.loads(answer) if answer.startswith(b"{") else {}
    return sent[0]["status"], problem, downstream


@pytest.mark.parametrize("path", ["/v1/companies", UPLOAD])
def test_ten_megabytes_without_a_token_are_401_and_never_read(path: str) -> None:
    body = Body(TEN_MB)
    status, problem, downstream = _call(path, body)
    assert (status, body.read, downstream.bodies) == (401, 0, [])
    assert problem["title"] == "Unauthenticated"


def test_a_bad_token_is_401_before_the_body_is_read() -> None:
    body = Body(TEN_MB)
    status, _, _ = _call("/v1/invoices", body, (b"authorization", b"Bearer forged.token.x"))
    assert (status, body.read) == (401, 0)


def test_a_console_form_without_a_session_is_not_read() -> None:
    body = Body(TEN_MB)
    status, _, downstream = _call("/console/company", body)
    assert (status, body.read, downstream.bodies) == (303, 0, [])


def test_a_json_body_over_64_kib_with_a_valid_token_is_413() -> None:
    body = Body(100 * 1024)
    status, problem, downstream = _call("/v1/invoices", body, _bearer("ledger"))
    assert (status, downstream.bodies) == (413, [])
    assert "65536" in problem["detail"]


def test_a_body_of_64_kib_reaches_the_route() -> None:
    status, _, downstream = _call("/v1/companies", Body(CHUNK, fill=b" "), _bearer(), method="PUT")
    assert (status, [len(b) for b in downstream.bodies]) == (200, [CHUNK])


def test_a_chunked_body_over_64_kib_is_413_without_a_length() -> None:
    chunked = (b"transfer-encoding", b"chunked")
    body = Body(100 * 1024, fill=b" ")
    status, _, downstream = _call("/v1/companies", body, _bearer(), chunked, length=False)
    assert (status, downstream.bodies) == (413, [])


def test_json_nested_deeper_than_32_levels_is_422_and_never_reaches_the_route() -> None:
    status, problem, downstream = _call("/v1/companies", Body(CHUNK), _bearer())
    assert (status, downstream.bodies) == (422, [])
    assert "nested" in problem["detail"]


def test_the_upload_refuses_a_person_before_reading_the_document() -> None:
    """I7: only the billing system attaches documents; anyone else is 403 at once."""
    body = Body(TEN_MB)
    status, problem, _ = _call(UPLOAD, body, _bearer("alice"))
    assert (status, body.read, problem["rule"]) == (403, 0, "I7")


def test_the_upload_takes_ten_megabytes_from_the_billing_system_and_no_more() -> None:
    status, _, downstream = _call(UPLOAD, Body(TEN_MB), _bearer("ledger", Principal.BILLING_SYSTEM))
    assert (status, len(downstream.bodies[0])) == (200, TEN_MB)
    too_big = Body(TEN_MB + 1024 * 1024)
    status, _, _ = _call(UPLOAD, too_big, _bearer("ledger", Principal.BILLING_SYSTEM))
    assert (status, too_big.read) == (413, 0)  # its Content-Length says so: not read


def test_public_routes_need_no_token() -> None:
    for path in ("/health", "/openapi.json", "/docs", "/console", "/console/sign-in"):
        status, _, _ = _call(path, Body(0), method="GET")
        assert status == 200, path


def test_the_depth_scan_ignores_brackets_inside_strings() -> None:
    assert json_depth(b'{"a": "[[[[{{{{", "b": [[1]]}') == 3
    assert json_depth(b'["\\"[[", [[]]]') == 3
    assert json_depth(b'"unterminated [[[') == 0
    assert json_depth(b"]]][") == 0


def test_the_depth_scan_runs_off_the_event_loop(monkeypatch: pytest.MonkeyPatch) -> None:
    """Many brackets are scanned in a worker thread: the loop keeps answering others."""
    threads: list[threading.Thread] = []

    def scan(_: bytes) -> int:
        threads.append(threading.current_thread())
        return 0

    monkeypatch.setattr(middleware, "json_depth", scan)
    status, _, _ = _call("/v1/companies", Body(CHUNK), _bearer())
    assert status == 200
    assert threads
    assert threads[0] is not threading.main_thread()


def test_a_few_brackets_are_not_scanned_at_all(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(middleware, "json_depth", lambda _: pytest.fail("scanned"))
    status, _, _ = _call("/v1/companies", Body(32, fill=b"["), _bearer())
    assert status == 200
