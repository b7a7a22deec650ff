"""ASGI middleware: request limits, security headers and `Idempotency-Key` replays.

Pure ASGI (not `BaseHTTPMiddleware`) so the body is read once, bounded, and handed on.
"""

from __future__ import annotations

import re
from collections.abc import Callable, MutableMapping
from itertools import accumulate
from typing import Any

from anyio import to_thread
from starlette.requests import Request, cookie_parser
from starlette.responses import RedirectResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.http.deps import SECRET_ANSWER
from api.http.problems import (
    PROBLEM_JSON,
    Problem,
    domain_problem,
    unauthenticated_problem,
)
from api.identity import SESSION_COOKIE, Unauthenticated, caller_from, scope_caller, verify
from domain.caller import Caller
from domain.caller import Scope as CallerScope
from domain.errors import DomainError
from domain.ports import SecretBox
from store.idempotency import (
    Answer,
    IdempotencyStore,
    InProgress,
    Mismatch,
    Reserved,
    fingerprint,
    opened,
    sealed,
)

Secret = Callable[[], str]

JSON_BODY_BYTES = 64 * 1024
"""API.md, Values: a JSON body (and a console form) is at most 64 KiB."""
UPLOAD_BODY_BYTES = 10 * 1024 * 1024 + 64 * 1024
"""I7: a document of up to 10 MB, with room for its multipart wrapping."""
_UPLOAD = re.compile(r"^/v1/invoices/[^/]+/documents$")
PUBLIC = frozenset({"/", "/health", "/docs", "/docs/oauth2-redirect", "/redoc", "/openapi.json"})
"""Routes anyone may call; `/console` pages decide about their session themselves."""
SESSION_OPENERS = frozenset({"/console/sign-in", "/console/session"})
"""Console forms that open a session, so are posted without one."""
READS = frozenset({"GET", "HEAD", "OPTIONS"})
LENGTH_DIGITS = 12
"""A `Content-Length` longer than this is over every limit (and `int` refuses 4,300 digits)."""


def is_upload(scope: Scope) -> bool:
    """The one route that takes more than a JSON body: a document (I7)."""
    return scope.get("method") == "POST" and bool(_UPLOAD.match(scope.get("path", "")))


def body_limit(scope: Scope) -> int:
    """The largest body a request may carry: documents are bigger than JSON (I7)."""
    return UPLOAD_BODY_BYTES if is_upload(scope) else JSON_BODY_BYTES


def is_console(path: str) -> bool:
    """A page or form of the web console (it keeps its caller in a session cookie)."""
    return path == "/console" or path.startswith("/console/")


MAX_JSON_DEPTH = 32
MAX_KEY_CHARS = 255
NOT_REPLAYED = frozenset({401, 408, 409, 429})
FIRST_SERVER_ERROR = 500
WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
REPLAYED_HEADERS = frozenset({"content-type", "x-position", "location"})
_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"?', re.DOTALL)
"""A JSON string, or an unterminated one to the end: always matches where it starts, so the
scan stays linear (no backtracking) whatever the bytes."""
_NOT_BRACKETS = bytes(range(256)).translate(None, b"[]{}")
_STEP = {0x5B: 1, 0x7B: 1, 0x5D: -1, 0x7D: -1}


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
    """How deeply a JSON text nests (brackets outside strings), without parsing it.

    C-speed passes (a regex drops the strings, `translate` keeps the brackets): 64 KiB of
    brackets take about 2 ms where a byte-by-byte loop took 10 ms (issue 17).
    """
    brackets = _STRING.sub(b"", body).translate(None, _NOT_BRACKETS)
    return max(0, max(accumulate(map(_STEP.__getitem__, brackets)), default=0))


async def too_deep(body: bytes) -> bool:
    """Whether a JSON body nests deeper than `MAX_JSON_DEPTH`; never scanned on the loop."""
    if body.count(b"[") + body.count(b"{") <= MAX_JSON_DEPTH:
        return False  # so few brackets cannot nest deeper: the common case, in microseconds
    return await to_thread.run_sync(json_depth, body) > MAX_JSON_DEPTH


def holder(scope: Scope, secret: str) -> Caller | None:
    """Who a request comes from: a valid bearer token's caller, else the console session's."""
    try:
        return scope_caller(scope, secret)
    except Unauthenticated:
        return session_caller(scope, secret)


def session_caller(scope: Scope, secret: str) -> Caller | None:
    """The caller of the console's session cookie, or None (absent, bad or expired)."""
    token = cookie_parser(_header(scope, b"cookie") or "").get(SESSION_COOKIE)
    if not token:
        return None
    try:
        return caller_from(verify(token, secret))
    except Unauthenticated:
        return None


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


async def bounded_body(scope: Scope, receive: Receive, send: Send) -> bytes | None:
    """The body, within its route's limit (413) and nesting depth (422); None once refused."""
    limit = body_limit(scope)
    if _declared_over(scope, limit):
        await send_problem(send, 413, "Request too large", f"at most {limit} bytes")
        return None
    body = await read_body(receive, limit)
    if body is None:
        await send_problem(send, 413, "Request too large", f"at most {limit} bytes")
        return None
    if not is_upload(scope) and await too_deep(body):
        detail = f"JSON nested deeper than {MAX_JSON_DEPTH} levels"
        await send_problem(send, 422, "Invalid input", detail)
        return None
    return body


def _declared_over(scope: Scope, limit: int) -> bool:
    """Whether `Content-Length` already says the body is over `limit` (or is no number)."""
    length = _header(scope, b"content-length") or "0"
    well_formed = length.isascii() and length.isdigit() and len(length) <= LENGTH_DIGITS
    return not well_formed or int(length) > limit


def api_refusal(scope: Scope, secret: str) -> Response | None:
    """401 without a valid bearer token; 403 for a document from anyone but the billing
    system (I7), which alone may send 10 MB."""
    request = Request(scope)
    try:
        caller = scope_caller(scope, secret)
    except Unauthenticated as error:
        return unauthenticated_problem(request, error)
    if is_upload(scope):
        try:
            caller.require_scope(CallerScope.BILLING_SYSTEM, "I7")
        except DomainError as error:
            return domain_problem(request, error)
    return None


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


class SecurityHeadersMiddleware:
    """Outermost: every answer, refusals of the other guards included, says `nosniff`, no
    framing, no referrer and names no server; an authenticated one is `no-store`."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        authenticated = _header(scope, b"authorization") is not None
        await self.app(scope, receive, self._secured(send, authenticated=authenticated))

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


class GuardMiddleware:
    """Decides who asks before reading the body (401/403), bounds the body by route (413),
    refuses deeply nested JSON (422).

    Only the headers are looked at until the caller may send a body: an unauthenticated
    10 MB body is refused without a byte of it read (issue 17).
    """

    def __init__(
        self,
        app: ASGIApp,
        secret: Secret,
        sign_in: str = "/console/sign-in",
        public: frozenset[str] = PUBLIC,
    ) -> None:
        self.app = app
        self.secret = secret
        self.sign_in = sign_in
        self.public = public  # `/metrics` too when BILLING_METRICS_PUBLIC (issue 20)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        refusal = self._refusal(scope)
        if refusal is not None:
            await refusal(scope, receive, send)
            return
        body = await bounded_body(scope, receive, send)
        if body is not None:
            await self.app(scope, replaying(body, receive), send)

    def _refusal(self, scope: Scope) -> Response | None:
        """401/403 for the API, the sign-in page for a console form without a session."""
        path = scope.get("path", "")
        if path in self.public:
            return None
        if is_console(path):
            return self._console_refusal(scope)
        return api_refusal(scope, self.secret())

    def _console_refusal(self, scope: Scope) -> Response | None:
        if scope.get("method") in READS or scope.get("path") in SESSION_OPENERS:
            return None  # pages answer a missing session themselves
        if session_caller(scope, self.secret()) is not None:
            return None
        return RedirectResponse(self.sign_in, status_code=303)


class IdempotencyMiddleware:
    """Replays the first answer to a write retried with the same `Idempotency-Key`."""

    def __init__(
        self,
        app: ASGIApp,
        store: Callable[[], IdempotencyStore],
        secret: Secret,
        box: Callable[[], SecretBox],
    ) -> None:
        self.app = app
        self.store = store
        self.secret = secret
        self.box = box  # seals the kept answers that show a secret (issue 22)

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
            caller = scope_caller(scope, self.secret())
        except Unauthenticated:
            return None
        return f"{caller.scope or 'person'}:{caller.login}"

    async def _once(self, scope: Scope, receive: Receive, send: Send, owner: str, key: str) -> None:
        body = await read_body(receive, body_limit(scope)) or b""
        query = scope.get("query_string", b"").decode("latin-1")
        kind = _header(scope, b"content-type") or ""
        print_ = fingerprint(scope["method"], scope["path"], query, body, kind)
        store = self.store()
        outcome = await to_thread.run_sync(store.reserve, owner, key, print_)
        if isinstance(outcome, Mismatch):
            detail = "this Idempotency-Key was used with another request"
            await send_problem(send, 422, "Idempotency key reused", detail)
        elif isinstance(outcome, InProgress):
            detail = "a request with this Idempotency-Key is still running; retry later"
            await send_problem(send, 409, "Request in progress", detail)
        elif isinstance(outcome, Answer):
            await self._replay(send, outcome)
        else:
            assert isinstance(outcome, Reserved)
            await self._first(scope, replaying(body, receive), send, store, (owner, key))

    async def _replay(self, send: Send, kept: Answer) -> None:
        try:
            answer = opened(kept, self.box())
        except ValueError:  # sealed under another data key: it cannot be shown again
            detail = "the first answer to this Idempotency-Key cannot be opened with this data key"
            await send_problem(send, 409, "Answer unavailable", detail)
            return
        await _replay(send, answer)

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
            box = self.box() if scope.get(SECRET_ANSWER) else None
            await _remember(store, where, captured, box)


async def _remember(
    store: IdempotencyStore,
    where: tuple[str, str],
    captured: MutableMapping[str, Any],
    box: SecretBox | None,
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
    await to_thread.run_sync(store.complete, *where, answer if box is None else sealed(answer, box))


def _replayable(status: int) -> bool:
    """Final answers are replayed; a refusal that a retry may change (401, 409, 5xx) is not."""
    return status < FIRST_SERVER_ERROR and status not in NOT_REPLAYED


async def _replay(send: Send, answer: Answer) -> None:
    headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in answer.headers]
    headers.append((b"idempotent-replayed", b"true"))
    await send({"type": "http.response.start", "status": answer.status, "headers": headers})
    await send({"type": "http.response.body", "body": answer.body})
