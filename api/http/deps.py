"""`Annotated` dependencies shared by the routers: the caller, the services, paging.

They are `async` because they do not block (only `min_position` waits, in a worker
thread): FastAPI runs a plain `def` dependency in the thread pool, a hop per dependency
per request.
"""

from __future__ import annotations

from functools import partial
from typing import Annotated
from uuid import UUID

from anyio import CapacityLimiter, to_thread
from fastapi import Depends, Header, Query, Request, Response
from fastapi.openapi.models import HTTPBearer as HTTPBearerModel
from fastapi.security.base import SecurityBase

from api.http.auth import authenticate
from api.http.paging import CursorSeal, Paging
from api.http.problems import NotCaughtUp
from domain.application import BillingCenter
from domain.caller import Caller
from domain.company import Company
from domain.roles import Action
from projections.queries import DEFAULT_LIMIT, MAX_LIMIT, Access, ReadModels

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
        state = request.app.state
        header = request.headers.get("authorization")
        return authenticate(header, state.jwt_secret, x_request_id, state.token_rules)


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


def access_of(company: Company, login: str) -> Access:
    """R4 as the store has it when the request is answered: what `login` may see in
    `company` (issue 18: never the read models' copy, which trails the store)."""
    every = company.sees_all_accounts(login)
    return Access(company.id, login, None if every else frozenset(company.visible_accounts(login)))


def invoice_reader(app: BillingCenter, cid: UUID, caller: Caller) -> Access:
    """The caller's access to the company's invoices, once the store says they may view them."""
    me = caller.as_person()
    company = app.read_company(cid)
    company.require(me, Action.VIEW_INVOICES)
    return access_of(company, me)


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
