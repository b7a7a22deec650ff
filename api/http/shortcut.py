"""A shortcut for the hottest reads, the invoice lists (issue 5).

FastAPI's routing, dependency solving and parameter validation cost more CPU than the
list itself. A request that plainly needs none of it (GET, a canonical company id, at
most `limit` and `cursor` in their valid ranges, no `min_position`) is answered here by
`listed_json`: the routes' page, written straight from the stored rows. Anything else,
and any refusal, goes the ordinary way, so every error answer (401, 403, 404, 422) still
comes from FastAPI and the one error table; a store error gets the same 503 the table
gives. Cursors are sealed to the list and caller here as in `deps.paging`, so a forged
one is refused the same way on both paths (422).
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl
from uuid import UUID

from anyio import to_thread
from fastapi import Request, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from api.http.auth import authenticate
from api.http.paging import CursorSeal, Paging
from api.http.problems import STORE_ERRORS, store_unavailable_problem
from api.http.routes.invoices import listed_json
from projections.queries import DEFAULT_LIMIT, MAX_LIMIT, SectionName

_LIST = re.compile(
    r"^/v1/companies/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})"
    r"/invoices(/archive)?$"
)
_LIMIT = re.compile(r"^[0-9]{1,3}$")
MAX_CURSOR_CHARS = 500
MAX_REQUEST_ID_CHARS = 200

Plain = tuple[UUID, SectionName, Paging]


class InvoiceListShortcut:
    """Answers plain invoice-list requests without FastAPI; passes on everything else."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        plain = plain_list(scope)
        if plain is None:
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        try:
            response = await to_thread.run_sync(_answer, request, plain)
        except STORE_ERRORS as error:
            response = store_unavailable_problem(request, error)
        except Exception:  # a refusal: FastAPI's path answers it, through the error table
            await self.app(scope, receive, send)
            return
        await response(scope, receive, send)


def plain_list(scope: Scope) -> Plain | None:
    """The list a request asks for, if it is a plain one (see the module's docstring)."""
    if scope["type"] != "http" or scope["method"] != "GET" or scope.get("root_path"):
        return None
    found = _LIST.match(scope["path"])
    if found is None or not _plain_headers(scope):
        return None
    page = _paging(scope.get("query_string", b"").decode("latin-1"))
    section: SectionName = "ARCHIVE" if found[2] else "HISTORY"
    return None if page is None else (UUID(found[1]), section, page)


def _plain_headers(scope: Scope) -> bool:
    ids = [v for k, v in scope["headers"] if k.lower() == b"x-request-id"]
    return all(len(v.decode("latin-1")) <= MAX_REQUEST_ID_CHARS for v in ids)


def _paging(query: str) -> Paging | None:
    pairs = parse_qsl(query, keep_blank_values=True)
    given = dict(pairs)
    if len(given) != len(pairs) or not set(given) <= {"limit", "cursor"}:
        return None
    limit = given.get("limit", str(DEFAULT_LIMIT))
    cursor = given.get("cursor")
    if not _LIMIT.match(limit) or not 1 <= int(limit) <= MAX_LIMIT:
        return None
    if cursor is not None and not 1 <= len(cursor) <= MAX_CURSOR_CHARS:
        return None
    return Paging(int(limit), cursor)


def _answer(request: Request, plain: Plain) -> Response:
    cid, section, page = plain
    state, headers = request.app.state, request.headers
    request_id = headers.get("x-request-id")
    caller = authenticate(headers.get("authorization"), state.jwt_secret, request_id,
                          state.token_rules)  # fmt: skip
    page = page.sealed_by(CursorSeal(state.jwt_secret, request.scope["path"], caller.login))
    return listed_json(section=section, cid=cid, caller=caller, app=state.billing_center,
                       reads=state.read_models, page=page)  # fmt: skip
