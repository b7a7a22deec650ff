"""One table from refusals to HTTP statuses, applied in one place: `application/problem+json`.

Every error the API answers goes through here: the domain's typed refusals (their `status`
kind picks the HTTP status, their rule id becomes `rule`), malformed requests (422 with
field-level details), a missing or bad token (401), read models that have not caught up
(503), and anything else Starlette raises (404 for an unknown path, 405, ...).
"""

from __future__ import annotations

import logging
from typing import Any

from eventsourcing.persistence import IntegrityError
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import BaseRoute, Match

from api.documents.rendering import RenderersBusy
from api.identity import Unauthenticated
from api.metrics.series import STORE_ERROR_COUNT
from api.refusals import HTTP_STATUS
from domain.errors import ConcurrentChange, DomainError
from projections.queries import BadCursor
from store.errors import DATA_ERRORS, STORE_ERRORS, ReplicaUnavailable

PROBLEM_JSON = "application/problem+json"
PROBLEM_BASE = "https://billing-center.invalid/problems/"
RETRY_AFTER_SECONDS = 1
UNDECODABLE = 400  # FastAPI's answer to a body it cannot decode; API.md wants 422
METHOD_NOT_ALLOWED = 405
HTTP_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")


log = logging.getLogger("billing_center.http")


class FieldProblem(BaseModel):
    """One malformed field of a request."""

    loc: list[str | int] = Field(examples=[["body", "accounts", 0, "country"]])
    msg: str = Field(examples=["String should match pattern '^[A-Z]{2}$'"])
    type: str = Field(examples=["string_pattern_mismatch"])


class Problem(BaseModel):
    """RFC 9457 problem details, with the DOMAIN.md rule that refused the request."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "type": PROBLEM_BASE + "login-taken",
                    "title": "Login taken",
                    "status": 409,
                    "detail": "bob already belongs to a company",
                    "rule": "R5",
                }
            ]
        }
    )

    type: str
    title: str
    status: int
    detail: str
    rule: str | None = None
    errors: list[FieldProblem] | None = None


class NotCaughtUp(Exception):
    """The read models have not reached the requested `min_position` in time (503)."""

    def __init__(self, wanted: int, reached: int) -> None:
        super().__init__(f"the read models are at position {reached}, not yet {wanted}")
        self.detail = str(self)


def problem(
    status: int,
    title: str,
    detail: str,
    *,
    rule: str | None = None,
    slug: str | None = None,
    errors: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    """A problem+json response."""
    body = Problem(
        type=PROBLEM_BASE + (slug or title.lower().replace(" ", "-").replace(",", "")),
        title=title,
        status=status,
        detail=detail,
        rule=rule,
        errors=[FieldProblem(**e) for e in errors] if errors is not None else None,
    )
    return JSONResponse(
        body.model_dump(exclude_none=True),
        status_code=status,
        media_type=PROBLEM_JSON,
        headers=headers,
    )


def domain_problem(_: Request, error: Exception) -> JSONResponse:
    """A domain refusal: its kind picks the status, its rule id becomes `rule`."""
    assert isinstance(error, DomainError)
    return problem(
        HTTP_STATUS[error.status],
        error.title,
        error.detail,
        rule=error.rule_id,
        slug=_slug(type(error).__name__),
    )


def integrity_problem(_: Request, __: Exception) -> JSONResponse:
    """A write that lost a race the application service did not retry."""
    return domain_problem(_, ConcurrentChange("another change to the same records won; retry"))


def validation_problem(_: Request, error: Exception) -> JSONResponse:
    """Malformed input: 422 with one entry per field (the input itself is not echoed)."""
    assert isinstance(error, RequestValidationError)
    details = [_field(e) for e in error.errors()]
    where = ", ".join(".".join(str(p) for p in d["loc"]) for d in details[:5])
    detail = f"malformed request: {where}"
    return problem(422, "Invalid input", detail, rule=_rule(error), errors=details)


def _rule(error: RequestValidationError) -> str | None:
    """The DOMAIN.md rule of a domain value check (schemas.domain_rule), when one refused."""
    rules = {(e.get("ctx") or {}).get("rule") for e in error.errors()} - {None}
    return str(rules.pop()) if len(rules) == 1 else None


def _field(error: Any) -> dict[str, Any]:
    loc = [p if isinstance(p, int) else str(p) for p in error.get("loc", ())]
    return {"loc": loc, "msg": str(error.get("msg", ""))[:300], "type": str(error.get("type"))}


def unauthenticated_problem(_: Request, error: Exception) -> JSONResponse:
    """401 with the `WWW-Authenticate: Bearer` challenge."""
    assert isinstance(error, Unauthenticated)
    challenge = 'Bearer realm="billing-center"'
    if error.token_given:
        challenge += ', error="invalid_token"'
    return problem(401, "Unauthenticated", error.detail, headers={"WWW-Authenticate": challenge})


def retry_later(title: str, detail: str) -> JSONResponse:
    """503 with `Retry-After`: the service cannot answer now; the same request may succeed later."""
    return problem(503, title, detail, headers={"Retry-After": str(RETRY_AFTER_SECONDS)})


def not_caught_up_problem(_: Request, error: Exception) -> JSONResponse:
    """503 with `Retry-After`: the client asked to read a write not yet projected."""
    assert isinstance(error, NotCaughtUp)
    return retry_later("Read models behind", error.detail)


def store_unavailable_problem(request: Request, error: Exception) -> JSONResponse:
    """503 with `Retry-After`: the database is unreachable; the outage gate is tripped."""
    STORE_ERROR_COUNT.labels("primary").inc()
    gate = getattr(request.app.state, "store_gate", None)
    if gate is not None:
        gate.trip(str(error).splitlines()[0] if str(error) else type(error).__name__)
    return retry_later("Store unavailable", "the store is unreachable; retry")


def replica_unavailable_problem(_: Request, error: Exception) -> JSONResponse:
    """503 with `Retry-After`: the read replica does not answer; writes go on (issue 20)."""
    STORE_ERROR_COUNT.labels("replica").inc()
    return retry_later("Read replica unavailable", str(error))


def renderers_busy_problem(_: Request, error: Exception) -> JSONResponse:
    """503 with `Retry-After`: every invoice PDF renderer is busy (issue 17)."""
    assert isinstance(error, RenderersBusy)
    return retry_later("Renderers busy", error.detail)


def cursor_problem(_: Request, __: Exception) -> JSONResponse:
    """A list cursor this service did not hand out."""
    return problem(422, "Invalid input", "cursor: expected a cursor this list handed out")


def http_problem(request: Request, error: Exception) -> JSONResponse:
    """Starlette's own errors (unknown path, wrong method, ...) as problem+json."""
    assert isinstance(error, StarletteHTTPException)
    if error.status_code == UNDECODABLE:
        return undecodable_problem()
    headers = dict(error.headers or {})
    if error.status_code == METHOD_NOT_ALLOWED:
        headers["Allow"] = allowed_methods(request)
    title = {404: "Not found", 405: "Method not allowed", 413: "Request too large"}.get(
        error.status_code, "HTTP error"
    )
    return problem(error.status_code, title, str(error.detail), headers=headers)


def undecodable_problem() -> JSONResponse:
    """A body FastAPI could not decode (bad UTF-8, a broken form): malformed input (422)."""
    detail = "the body could not be decoded (JSON in UTF-8 expected)"
    field = {"loc": ["body"], "msg": detail, "type": "json_invalid"}
    return problem(422, "Invalid input", f"malformed request: {detail}", errors=[field])


def allowed_methods(request: Request) -> str:
    """Every method the request's path takes: Starlette names only the first route's.

    Each method is tried against the routes on a fresh scope (FastAPI keeps included
    routers as routes of their own, so their methods are not listed anywhere public)."""
    path, root = request.scope["path"], request.scope.get("root_path", "")
    return ", ".join(m for m in HTTP_METHODS if _routed(request.app.router.routes, m, path, root))


def _routed(routes: list[BaseRoute], method: str, path: str, root_path: str) -> bool:
    scope = {"type": "http", "method": method, "path": path, "root_path": root_path,
             "headers": [], "query_string": b""}  # fmt: skip
    return any(route.matches(scope)[0] is Match.FULL for route in routes)


def unstorable_problem(request: Request, error: Exception) -> JSONResponse:
    """A value the database cannot hold (PostgreSQL: a NUL in text, a number out of range)
    reached a query: malformed input, refused before anything changed (the transaction
    rolls back). Logged, as whatever let it through is worth a look."""
    log.warning("unstorable value on %s %s: %s", request.method, request.url.path, error)
    return problem(422, "Invalid input", "a value holds characters or numbers the store refuses")


def unexpected_problem(request: Request, error: Exception) -> JSONResponse:
    """A bug: logged with the request, answered without details."""
    log.exception("unexpected error on %s %s", request.method, request.url.path, exc_info=error)
    return problem(500, "Internal error", "the service failed; the failure was logged")


def install(app: FastAPI) -> None:
    """Register every handler of the table on `app`."""
    app.add_exception_handler(DomainError, domain_problem)
    app.add_exception_handler(IntegrityError, integrity_problem)
    app.add_exception_handler(RequestValidationError, validation_problem)
    app.add_exception_handler(Unauthenticated, unauthenticated_problem)
    app.add_exception_handler(NotCaughtUp, not_caught_up_problem)
    app.add_exception_handler(BadCursor, cursor_problem)
    for data_error in DATA_ERRORS:
        app.add_exception_handler(data_error, unstorable_problem)
    app.add_exception_handler(RenderersBusy, renderers_busy_problem)
    app.add_exception_handler(ReplicaUnavailable, replica_unavailable_problem)
    for store_error in STORE_ERRORS:
        app.add_exception_handler(store_error, store_unavailable_problem)
    app.add_exception_handler(StarletteHTTPException, http_problem)
    app.add_exception_handler(Exception, unexpected_problem)


def _slug(name: str) -> str:
    return "".join(f"-{c.lower()}" if c.isupper() else c for c in name).lstrip("-")
