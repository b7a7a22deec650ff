"""Audit pages for the `auditor` principal: the event log (C3's records), a company as of an
instant (C1), who could see an invoice at T and why (C2), and the signed export (C3)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import TypeVar
from uuid import UUID

from fastapi.responses import Response, StreamingResponse

from api.export_key import export_signer
from api.web.routes.common import Ctx, console_router
from api.web.routes.forms import number
from api.web.templating import Console, render, secured
from domain.application import BillingCenter
from domain.caller import Scope
from domain.errors import InvalidInput, NotFound
from projections.audit.explain import explain
from projections.audit.export import ExportScope, Format, zipped_export
from projections.audit.records import AuditLog
from projections.audit.timetravel import company_as_of

router = console_router()
T = TypeVar("T")
PAGE_SIZE = 50
POSITION_DIGITS = 18


def _auditor(ctx: Console) -> None:
    ctx.person.require_scope(Scope.AUDITOR, "C1")


def _instant(ctx: Console, name: str) -> datetime | None:
    """An instant from the query: RFC 3339, or a local date-time read as UTC."""
    text = ctx.request.query_params.get(name, "").strip()
    if not text:
        return None
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidInput(name, "an instant such as 2025-06-15T12:00") from None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _uuid(ctx: Console, name: str) -> UUID | None:
    text = ctx.request.query_params.get(name, "").strip()
    try:
        return UUID(text) if text else None
    except ValueError:
        raise InvalidInput(name, "an id such as 3f2b…") from None


def _as_of(
    ctx: Console, kind: str, at: str, find: Callable[[BillingCenter, UUID, datetime], T | None]
) -> T | None:
    """What the auditor asks about: the `kind` whose id the query names, as `find` rebuilds
    it at the instant `at` names (now when empty); None until they ask."""
    _auditor(ctx)
    key, instant = _uuid(ctx, kind), _instant(ctx, at)
    if key is None:
        return None
    found = find(ctx.app, key, instant or datetime.now(UTC))
    if found is None:
        raise NotFound(kind, key)
    return found


@router.get("/console/audit")
def event_log(ctx: Ctx) -> Response:
    """The event log in store order, filtered by company, actor, type and period."""
    _auditor(ctx)
    query = ctx.request.query_params
    after = query.get("after", "0")
    kinds = [t.strip() for t in query.get("type", "").split(",") if t.strip()]
    page = ctx.reads.audit_events(
        company_id=_uuid(ctx, "company"),
        actor=query.get("actor") or None,
        types=kinds or None,
        since=_instant(ctx, "from"),
        until=_instant(ctx, "to"),
        after=number(after, POSITION_DIGITS) or 0,
        limit=PAGE_SIZE,
    )
    keep = {k: v for k, v in query.items() if k != "after"}
    return render(ctx, "audit_log.html", entries=page.items, next=page.next, query=keep)


@router.get("/console/audit/company")
def company_page(ctx: Ctx) -> Response:
    """C1: a company as it was at an instant, rebuilt from its events."""
    state = _as_of(ctx, "company", "as_of", company_as_of)
    return render(ctx, "audit_company.html", state=state, query=ctx.request.query_params)


@router.get("/console/audit/visibility")
def visibility_page(ctx: Ctx) -> Response:
    """C2: who could see invoice X at instant T, and by which rule."""
    found = _as_of(ctx, "invoice", "at", explain)
    answer = found.as_dict() if found else None
    return render(ctx, "audit_visibility.html", answer=answer, query=ctx.request.query_params)


@router.get("/console/audit/export")
def export_page(ctx: Ctx) -> Response:
    """C3: choose what to export."""
    _auditor(ctx)
    return render(ctx, "audit_export.html")


@router.get("/console/audit/export.zip")
def export_download(ctx: Ctx) -> Response:
    """C3: the export (events, manifest with its hash chain and signature, public key)."""
    _auditor(ctx)
    fmt: Format = "csv" if ctx.request.query_params.get("format") == "csv" else "jsonl"
    company = _uuid(ctx, "company")
    scope = ExportScope(
        str(company) if company else None, _instant(ctx, "from"), _instant(ctx, "to")
    )
    signer = export_signer(ctx.request.app.state.settings)
    log = AuditLog(ctx.app.recorder, getattr(ctx.app, "sealer", None))
    records = log.records(company_id=scope.company_id, since=scope.since, before=scope.until)
    headers = {"Content-Disposition": 'attachment; filename="audit-export.zip"'}
    stream = StreamingResponse(
        zipped_export(records, signer, fmt=fmt, scope=scope),
        media_type="application/zip",
        headers=headers,
    )
    return secured(ctx, stream)
