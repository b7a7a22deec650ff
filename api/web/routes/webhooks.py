"""Webhooks in the console (issue 22): an Administrator's endpoints, each with its delivery
log; connecting one shows its secret once, on the answer page itself (never in a URL)."""

from __future__ import annotations

from collections.abc import Callable
from uuid import UUID

import orjson
from fastapi.responses import Response
from pydantic import ValidationError
from starlette.datastructures import FormData

from api.schemas.webhooks import NewWebhook
from api.web.routes.common import Ctx, Posted, console_router, member_of, uuid_or_404
from api.web.routes.forms import back, form_page, text, texts
from api.web.templating import Console, render
from domain.application.retries import Receipt
from domain.caller import Caller
from domain.errors import DomainError
from projections.webhooks import message_id
from store.webhooks import SqlWebhookDeliveries

router = console_router()
Change = Callable[[Caller, UUID, UUID], Receipt[None]]
"""A command on one of the company's endpoints (delete, enable)."""

LOG_ROWS = 200
WAIT_SECONDS = 5.0


def _deliveries(ctx: Console) -> SqlWebhookDeliveries:
    found: SqlWebhookDeliveries = ctx.request.app.state.webhooks
    return found


def _page(
    ctx: Console,
    *,
    error: Exception | None = None,
    form: FormData | None = None,
    secret: str = "",
    status: int = 200,
) -> Response:
    member = member_of(ctx)
    ctx.app.require_webhook_administrator(ctx.person.as_person(), member.cid)
    endpoints = [(e, orjson.loads(e.events)) for e in _deliveries(ctx).endpoints(str(member.cid))]
    return form_page(ctx, "webhooks.html", error, form, status=status, endpoints=endpoints,
                     secret=secret)  # fmt: skip


@router.get("/console/webhooks")
def webhooks_page(ctx: Ctx) -> Response:
    """Issue 22: the company's webhook endpoints (Administrators)."""
    return _page(ctx)


@router.post("/console/webhooks")
def connect(ctx: Ctx, form: Posted) -> Response:
    """Connect an endpoint; its secret is on this answer only."""
    member = member_of(ctx)
    try:
        body = NewWebhook.model_validate(
            {"url": text(form, "url"), "events": texts(form, "events")}
        )
        created = ctx.app.create_webhook(ctx.person, member.cid, body.url, list(body.events))
    except (DomainError, ValidationError) as error:
        return _page(ctx, error=error, form=form)
    ctx.reads.wait_for(created.position, WAIT_SECONDS)  # the list shows the new endpoint
    return _page(ctx, secret=created.result.secret, status=201)


@router.post("/console/webhooks/{webhook}/delete")
def delete(ctx: Ctx, webhook: str, form: Posted) -> Response:
    """Remove an endpoint: nothing more is sent to it."""
    del form  # CSRF-checked
    return _changed(ctx, webhook, ctx.app.delete_webhook, "webhook_deleted")


@router.post("/console/webhooks/{webhook}/enable")
def enable(ctx: Ctx, webhook: str, form: Posted) -> Response:
    """Enable an endpoint the sender disabled: the next messages are sent to it."""
    del form  # CSRF-checked
    return _changed(ctx, webhook, ctx.app.enable_webhook, "webhook_enabled")


def _changed(ctx: Console, webhook: str, change: Change, done: str) -> Response:
    member = member_of(ctx)
    receipt = change(ctx.person, member.cid, uuid_or_404(webhook, "webhook"))
    return back(ctx, "/console/webhooks", done)(receipt.position)


@router.get("/console/webhooks/{webhook}")
def delivery_log(ctx: Ctx, webhook: str) -> Response:
    """The endpoint's delivery log, newest attempt first (Administrators)."""
    member = member_of(ctx)
    endpoint = ctx.app.administered_webhook(
        ctx.person.as_person(), member.cid, uuid_or_404(webhook, "webhook")
    )
    key = str(endpoint.id)
    attempts = [(message_id(a.position, key), a) for a in _deliveries(ctx).attempts(key, LOG_ROWS)]
    return render(ctx, "webhook.html", endpoint=endpoint, attempts=attempts)
