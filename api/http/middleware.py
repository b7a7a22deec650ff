"""ASGI middleware: request limits, security headers and `Idempotency-Key` replays.

Pure ASGI (not `BaseHTTPMiddleware`) so the body is read once, bounded, and handed on.
"""

from __future__ import annotations

import re
from collections.abc import Callable, MutableMapping
from typing import Any

from anyio import to_thread
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.http.auth import authenticate
from api.http.idempotency import (
    Answer,
    IdempotencyStore,
    InProgress,
    Mismatch,
    Reserved,
    fingerprint,
)
from api.http.problems import PROBLEM_JSON, Problem, Unauthenticated

MAX_BODY_BYTES = 1024 * 1024
UPLOAD_BODY_BYTES = 10 * 1024 * 1024 + 64 * 1024
"""I7: a document of up to 10 MB, with room for its multipart wrapping."""
_UPLOAD = re.compile(r"^/v1/invoices/[^/]+/documents$")


def body_limit(scope: Scope) -> int:
    """The largest body a request may carry: documents are bigger than JSON (I7)."""
    if scope.get("method") == "POST" and _UPLOAD.match(scope.get("path", "")):
        return UPLOAD_BODY_BYTES
    return MAX_BODY_BYTES


MAX_JSON_DEPTH = 32
MAX_KEY_CHARS = 255
QUOTE, BACKSLASH, OPENERS, CLOSERS = 0x22, 0x5C, (0x5B, 0x7B), (0x5D, 0x7D)
NOT_REPLAYED = frozenset({401, 408, 409, 429})
FIRST_SERVER_ERROR = 500
WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
REPLAYED_HEADERS = frozenset({"content-type", "x-position", "location"})


def problem_message(status: int, title: str, detail: str) -> tuple[Message, Message]:
    """The two ASGI messages of a problem+json answer sent from middleware."""
    body = Problem(
        type="https://billing-center.invalid/problems/" + title.lower().replace(" ", "-"),
        title=title,
        status=status,
        detail=detail,
    ).model_dump_json(exclude_none=True)
    start = {
        "type": "http.response.start",
        "status": status,
        "headers": [(b"content-type", PROBLEM_JSON.encode())],
    }
    return start, {"type": "http.response.body", "body": body.encode()}


async def send_problem(send: Send, status: int, title: str, detail: str) -> None:
    """Answer with a problem from middleware."""
    for message in problem_message(status, title, detail):
        await send(message)


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return str(value.decode("latin-1"))
    return None


def json_depth(body: bytes) -> int:
    """How deeply a JSON text nests (brackets outside strings), without parsing it."""
    depth = deepest = 0
    in_string = escaped = False
    for byte in body:
        if in_string:
            escaped, in_string = (False, True) if escaped else (byte == BACKSLASH, byte != QUOTE)
        elif byte == QUOTE:
            in_string = True
        elif byte in OPENERS:
            depth += 1
            deepest = max(deepest, depth)
        elif byte in CLOSERS:
            depth -= 1
    return deepest


async def read_body(receive: Receive, limit: int) -> bytes | None:
    """The whole request body, or None once it is over `limit` bytes."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def replaying(body: bytes, receive: Receive) -> Receive:
    """A `receive` that hands the buffered body on once, then waits for the disconnect."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if sent:
            return await receive()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay


class GuardMiddleware:
    """Bounds the body (413), refuses deeply nested JSON (422), adds security headers."""

    def __init__(self, app: ASGIApp, max_body: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.max_body = max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        send = self._secured(send, authenticated=_header(scope, b"authorization") is not None)
        limit = max(self.max_body, body_limit(scope))
        length = _header(scope, b"content-length")
        if length and (not length.isdigit() or int(length) > limit):
            await send_problem(send, 413, "Request too large", f"at most {limit} bytes")
            return
        body = await read_body(receive, limit)
        if body is None:
            await send_problem(send, 413, "Request too large", f"at most {limit} bytes")
            return
        multipart = (_header(scope, b"content-type") or "").startswith("multipart/")
        if not multipart and json_depth(body) > MAX_JSON_DEPTH:
            detail = f"JSON nested deeper than {MAX_JSON_DEPTH} levels"
            await send_problem(send, 422, "Invalid input", detail)
            return
        await self.app(scope, replaying(body, receive), send)

    @staticmethod
    def _secured(send: Send, *, authenticated: bool) -> Send:
        async def secured(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"server"]
                headers.append((b"x-content-type-options", b"nosniff"))
                headers.append((b"x-frame-options", b"DENY"))
                headers.append((b"referrer-policy", b"no-referrer"))
                if authenticated:
                    headers.append((b"cache-control", b"no-store"))
                message = {**message, "headers": headers}
            await send(message)

        return secured


Secret = Callable[[], str]


class IdempotencyMiddleware:
    """Replays the first answer to a write retried with the same `Idempotency-Key`."""

    def __init__(self, app: ASGIApp, store: Callable[[], IdempotencyStore], secret: Secret) -> None:
        self.app = app
        self.store = store
        self.secret = secret

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        key = _header(scope, b"idempotency-key") if scope["type"] == "http" else None
        if key is None or scope["method"] not in WRITES:
            await self.app(scope, receive, send)
            return
        if not 0 < len(key) <= MAX_KEY_CHARS or not key.isprintable():
            detail = f"Idempotency-Key must be 1 to {MAX_KEY_CHARS} printable characters"
            await send_problem(send, 422, "Invalid input", detail)
            return
        owner = self._owner(scope)
        if owner is None:  # the route answers 401; nothing to remember
            await self.app(scope, receive, send)
            return
        await self._once(scope, receive, send, owner, key)

    def _owner(self, scope: Scope) -> str | None:
        try:
            rules = scope["app"].state.token_rules
            caller = authenticate(_header(scope, b"authorization"), self.secret(), rules=rules)
        except Unauthenticated:
            return None
        return f"{caller.scope or 'person'}:{caller.login}"

    async def _once(self, scope: Scope, receive: Receive, send: Send, owner: str, key: str) -> None:
        body = await read_body(receive, body_limit(scope)) or b""
        query = scope.get("query_string", b"").decode("latin-1")
        print_ = fingerprint(scope["method"], scope["path"], query, body)
        store = self.store()
        outcome = await to_thread.run_sync(store.reserve, owner, key, print_)
        if isinstance(outcome, Mismatch):
            detail = "this Idempotency-Key was used with another request"
            await send_problem(send, 422, "Idempotency key reused", detail)
        elif isinstance(outcome, InProgress):
            detail = "a request with this Idempotency-Key is still running; retry later"
            await send_problem(send, 409, "Request in progress", detail)
        elif isinstance(outcome, Answer):
            await _replay(send, outcome)
        else:
            assert isinstance(outcome, Reserved)
            await self._first(scope, replaying(body, receive), send, store, (owner, key))

    async def _first(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        store: IdempotencyStore,
        where: tuple[str, str],
    ) -> None:
        captured: MutableMapping[str, Any] = {"headers": [], "body": b""}

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                captured["status"] = message["status"]
                captured["headers"] = message.get("headers", [])
            elif message["type"] == "http.response.body":
                captured["body"] += message.get("body", b"")
            await send(message)

        try:
            await self.app(scope, receive, capture)
        finally:
            await _remember(store, where, captured)


async def _remember(
    store: IdempotencyStore, where: tuple[str, str], captured: MutableMapping[str, Any]
) -> None:
    status = captured.get("status")
    if status is None or not _replayable(status):
        await to_thread.run_sync(store.release, *where)
        return
    headers = [
        (k.decode("latin-1"), v.decode("latin-1"))
        for k, v in captured["headers"]
        if k.lower().decode("latin-1") in REPLAYED_HEADERS
    ]
    answer = Answer(status, headers, bytes(captured["body"]))
    await to_thread.run_sync(store.complete, *where, answer)


def _replayable(status: int) -> bool:
    """Final answers are replayed; a refusal that a retry may change (401, 409, 5xx) is not."""
    return status < FIRST_SERVER_ERROR and status not in NOT_REPLAYED


async def _replay(send: Send, answer: Answer) -> None:
    headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in answer.headers]
    headers.append((b"idempotent-replayed", b"true"))
    await send({"type": "http.response.start", "status": answer.status, "headers": headers})
    await send({"type": "http.response.body", "body": answer.body})
