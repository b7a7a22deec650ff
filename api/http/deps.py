"""`Annotated` dependencies shared by the routers: the caller, the services, paging.

They are `async` because they do not block (only `min_position` waits, in a worker
thread): FastAPI runs a plain `def` dependency in the thread pool, a hop per dependency
per request.
"""

from __future__ import annotations

from functools import partial
from typing import Annotated

from anyio import CapacityLimiter, to_thread
from fastapi import Depends, Header, Query, Request, Response
from fastapi.openapi.models import HTTPBearer as HTTPBearerModel
from fastapi.security.base import SecurityBase

from api.http.auth import authenticate
from api.http.paging import CursorSeal, Paging
from api.http.problems import NotCaughtUp
from domain.application import BillingCenter
from domain.caller import Caller
from projections.queries import DEFAULT_LIMIT, MAX_LIMIT, ReadModels

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
        secret: str = request.app.state.jwt_secret
        return authenticate(request.headers.get("authorization"), secret, x_request_id)


current_caller = BearerCaller()


async def billing_center(request: Request) -> BillingCenter:
    """The application service (writes, and who-may-see-what decisions)."""
    app: BillingCenter = request.app.state.billing_center
    return app


async def read_models(
    request: Request,
    min_position: Annotated[
        int | None,
        Query(ge=0, le=2**62, description="Wait up to 5 s until the read models reach it."),
    ] = None,
) -> ReadModels:
    """The read models, once they have reached `min_position` (503 after 5 s)."""
    reads: ReadModels = request.app.state.read_models
    if min_position is None:
        return reads
    waiting: CapacityLimiter = request.app.state.waiting
    wait = partial(reads.wait_for, min_position, MIN_POSITION_WAIT_SECONDS)
    if not await to_thread.run_sync(wait, limiter=waiting):
        raise NotCaughtUp(min_position, await to_thread.run_sync(reads.position, limiter=waiting))
    return reads


def written(response: Response, position: int) -> int:
    """Put a write's position in the `X-Position` header; returns it for the body."""
    response.headers["X-Position"] = str(position)
    return position


async def paging(
    request: Request,
    caller: Annotated[Caller, Depends(current_caller)],
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
    cursor: Annotated[str | None, Query(min_length=1, max_length=MAX_CURSOR_CHARS)] = None,
) -> Paging:
    """The `limit` and `cursor` query parameters of a list, cursors sealed to it (422 if
    `cursor` is not one this list handed this caller)."""
    seal = CursorSeal(request.app.state.jwt_secret, request.scope["path"], caller.login)
    page = Paging(limit, cursor, seal)
    page.opened()  # refuse a forged cursor before the route reads anything
    return page


CurrentCaller = Annotated[Caller, Depends(current_caller)]
App = Annotated[BillingCenter, Depends(billing_center)]
Reads = Annotated[ReadModels, Depends(read_models)]
Page = Annotated[Paging, Depends(paging)]
