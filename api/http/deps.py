"""`Annotated` dependencies shared by the routers: the caller, the services, paging.

They are `async` because they do not block (only `min_position` waits, in a worker
thread): FastAPI runs a plain `def` dependency in the thread pool, a hop per dependency
per request.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Annotated

from anyio import CapacityLimiter, to_thread
from fastapi import Depends, Header, Query, Request, Response
from fastapi.openapi.models import HTTPBearer as HTTPBearerModel
from fastapi.security.base import SecurityBase

from api.http.paging import CursorSeal, Paging
from api.http.problems import NotCaughtUp
from api.identity import scope_caller
from domain.application import BillingCenter
from domain.caller import Caller
from projections.queries import DEFAULT_LIMIT, MAX_LIMIT, ReadModels

SECRET_ANSWER = "billing.secret_answer"
"""Set in a request's scope by a route whose answer shows a secret once (ShowsSecret)."""
MIN_POSITION_WAIT_SECONDS = 5.0
MAX_CURSOR_CHARS = 500


class BearerCaller(SecurityBase):
    """The authenticated caller (401 otherwise), with the request's correlation id.

    A security scheme itself, so OpenAPI shows the bearer scheme as `HTTPBearer` did, in one
    dependency: FastAPI solving `HTTPBearer` and a caller function under it cost a tenth of
    a list's CPU (issue 5).
    """

    def __init__(self) -> None:
        self.model = HTTPBearerModel(description="`billing-center token LOGIN` prints one.")
        self.scheme_name = "HTTPBearer"

    async def __call__(
        self,
        request: Request,
        x_request_id: Annotated[str | None, Header(max_length=200)] = None,
    ) -> Caller:
        del x_request_id  # declared for OpenAPI; scope_caller reads it with the token
        return scope_caller(request.scope, request.app.state.jwt_secret)


current_caller = BearerCaller()


async def billing_center(request: Request) -> BillingCenter:
    """The application service (writes, and who-may-see-what decisions)."""
    app: BillingCenter = request.app.state.billing_center
    return app


MinPosition = Annotated[
    int | None,
    Query(ge=0, le=2**62, description="Wait up to 5 s until the read models reach it."),
]
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT)]
Cursor = Annotated[str | None, Query(min_length=1, max_length=MAX_CURSOR_CHARS)]


async def read_models(request: Request, min_position: MinPosition = None) -> ReadModels:
    """The read models, once they have reached `min_position` (503 after 5 s)."""
    reads: ReadModels = request.app.state.read_models
    if min_position is None:
        return reads
    waiting: CapacityLimiter = request.app.state.waiting
    wait = partial(_caught_up, request.app.state.billing_center, reads, min_position)
    if not await to_thread.run_sync(wait, limiter=waiting):
        raise NotCaughtUp(min_position, await to_thread.run_sync(reads.position, limiter=waiting))
    return reads


def _caught_up(center: BillingCenter, reads: ReadModels, position: int) -> bool:
    """A position the store has not reached was never written: no wait, 503 at once, so a
    far `min_position` cannot hold a waiting thread for 5 s (issue 17)."""
    if position > center.head():
        return False
    return reads.wait_for(position, MIN_POSITION_WAIT_SECONDS)


def written(response: Response, position: int) -> int:
    """Put a write's position in the `X-Position` header; returns it for the body."""
    response.headers["X-Position"] = str(position)
    return position


async def paging(
    request: Request,
    caller: Annotated[Caller, Depends(current_caller)],
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> Paging:
    """The `limit` and `cursor` query parameters of a list, cursors sealed to it (422 if
    `cursor` is not one this list handed this caller)."""
    seal = CursorSeal(request.app.state.jwt_secret, request.scope["path"], caller.login)
    page = Paging(limit, cursor, seal)
    page.opened()  # refuse a forged cursor before the route reads anything
    return page


@dataclass(frozen=True)
class InvoiceListing:
    """What an invoice list needs: the caller, the services, the page asked for."""

    caller: Caller
    app: BillingCenter
    reads: ReadModels
    page: Paging


async def invoice_listing(
    request: Request, caller: Caller, min_position: int | None, limit: int, cursor: str | None
) -> InvoiceListing:
    """`read_models` and `paging` for the invoice lists, whose routes declare the parameters
    themselves: they are the hottest reads, and FastAPI solving a dependency per parameter
    group cost a fifth of their CPU once the shortcut beside the router was gone (issue 19)."""
    reads = await read_models(request, min_position)
    page = await paging(request, caller, limit, cursor)
    return InvoiceListing(caller, request.app.state.billing_center, reads, page)


CurrentCaller = Annotated[Caller, Depends(current_caller)]
App = Annotated[BillingCenter, Depends(billing_center)]
Reads = Annotated[ReadModels, Depends(read_models)]
Page = Annotated[Paging, Depends(paging)]


async def _shows_secret(request: Request) -> None:
    request.scope[SECRET_ANSWER] = True


ShowsSecret = Depends(_shows_secret)
"""A route's answer shows a secret once (issue 22): an `Idempotency-Key` keeps it sealed."""
