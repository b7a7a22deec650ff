"""Audit routes (C1-C3), for the `auditor` principal only: the event log, a company as it
was, who could see an invoice and why, and the signed export. They read the event store
itself (projections.audit), never the read models, so they do not wait for projections."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse

from api.export_key import export_signer
from api.http.deps import App, CurrentCaller
from api.http.hop import OneHopRoute
from api.http.responses import COMMON
from api.schemas import INSTANTS, Instant
from domain.application import BillingCenter
from domain.caller import Caller, Scope
from domain.errors import NotFound
from projections.audit.explain import explain
from projections.audit.export import ExportScope, zipped_export
from projections.audit.records import AuditLog
from projections.audit.timetravel import company_as_of
from projections.queries import DEFAULT_LIMIT, MAX_LIMIT

router = APIRouter(route_class=OneHopRoute, prefix="/v1/audit", tags=["audit"], responses=COMMON)
_lock = threading.Lock()

When = Annotated[Instant | None, Query(description=INSTANTS)]


def _auditor(caller: Caller) -> None:
    """Only the auditor principal reads the audit routes (403 otherwise)."""
    caller.require_scope(Scope.AUDITOR, "C1")


def _log(request: Request, app: BillingCenter) -> AuditLog:
    """One audit log per process: it keeps who-owns-what as the log is paged forward."""
    with _lock:
        log: AuditLog | None = getattr(request.app.state, "audit_log", None)
        if log is None:
            log = AuditLog(app.recorder, getattr(app, "sealer", None))
            request.app.state.audit_log = log
        return log


@router.get("/events")
def events(
    *,
    request: Request,
    caller: CurrentCaller,
    app: App,
    company: UUID | None = None,
    after: Annotated[int, Query(ge=0, le=2**62)] = 0,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
) -> dict[str, Any]:
    """The event log in store order after position `after`, of one company or all."""
    _auditor(caller)
    records = _log(request, app).records(company_id=str(company) if company else None, after=after)
    items = []
    for record in records:
        items.append(record.as_dict())
        if len(items) == limit:
            break
    full = len(items) == limit
    return {"items": items, "next": items[-1]["position"] if full else None}


@router.get("/companies/{company_id}")
def company(
    *, company_id: UUID, caller: CurrentCaller, app: App, as_of: When = None
) -> dict[str, Any]:
    """The company as it was at `as_of` (default now): users, roles, title, accounts (C1)."""
    _auditor(caller)
    moment = as_of or datetime.now(UTC)
    found = company_as_of(app, company_id, moment)
    if found is None:
        raise NotFound("company", company_id)
    return found


@router.get("/invoices/{invoice_id}/visibility")
def visibility(
    *, invoice_id: UUID, caller: CurrentCaller, app: App, at: When = None
) -> dict[str, Any]:
    """Who could see the invoice at `at` (default now), and why; who could not, and the rule."""
    _auditor(caller)
    moment = at or datetime.now(UTC)
    found = explain(app, invoice_id, moment, today=app.today() if at is None else None)
    if found is None:
        raise NotFound("invoice", invoice_id)
    return found.as_dict()


@router.get("/export", response_class=StreamingResponse)
def export(
    *,
    request: Request,
    caller: CurrentCaller,
    app: App,
    company: UUID | None = None,
    since: Annotated[Instant | None, Query(alias="from", description=INSTANTS)] = None,
    until: Annotated[Instant | None, Query(alias="to", description=INSTANTS)] = None,
    fmt: Annotated[Literal["jsonl", "csv"], Query(alias="format")] = "jsonl",
) -> StreamingResponse:
    """The export (C3), streamed as a zip of events.FORMAT, manifest.json, public-key.pem."""
    _auditor(caller)
    scope = ExportScope(str(company) if company else None, since, until)
    signer = export_signer(request.app.state.settings)
    log = AuditLog(app.recorder, getattr(app, "sealer", None))
    records = log.canonical(company_id=scope.company_id, since=scope.since, before=scope.until)
    name = f"audit-export-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.zip"
    return StreamingResponse(
        zipped_export(records, signer, fmt=fmt, scope=scope),
        media_type="application/zip",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
