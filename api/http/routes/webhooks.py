"""A company's webhook endpoints and their delivery log (issue 22): Administrators only."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

import orjson
from fastapi import APIRouter, Depends, Request, Response

from api.http.deps import App, CurrentCaller, Page, Reads, ShowsSecret, written
from api.http.hop import OneHopRoute
from api.http.paging import in_pages
from api.http.responses import COMMON, READ, WRITE
from api.schemas import Page as PageOf
from api.schemas.webhooks import (
    DeliveryOut,
    NewWebhook,
    WebhookCreated,
    WebhookEnabled,
    WebhookOut,
)
from projections.webhooks import message_id
from store.webhooks import SqlWebhookDeliveries

router = APIRouter(
    route_class=OneHopRoute,
    prefix="/v1/companies/{cid}/webhooks",
    tags=["webhooks"],
    responses=COMMON,
)

LOG_LIMIT = 10_000
"""The delivery log pages over its newest attempts."""


async def deliveries(request: Request) -> SqlWebhookDeliveries:
    """The webhook schedule and delivery log."""
    found: SqlWebhookDeliveries = request.app.state.webhooks
    return found


Deliveries = Annotated[SqlWebhookDeliveries, Depends(deliveries)]


@router.post("", status_code=201, responses=WRITE, dependencies=[ShowsSecret])
def create(
    *, cid: UUID, body: NewWebhook, caller: CurrentCaller, app: App, response: Response
) -> WebhookCreated:
    """Connect an endpoint; its `whsec_` secret is shown this once (Administrators)."""
    receipt = app.create_webhook(caller, cid, body.url, list(body.events))
    new = receipt.result
    return WebhookCreated(
        webhook_id=new.webhook_id, secret=new.secret, position=written(response, receipt.position)
    )


@router.get("", responses=READ)
def endpoints(
    *, cid: UUID, caller: CurrentCaller, app: App, reads: Reads, log: Deliveries, page: Page
) -> PageOf[WebhookOut]:
    """The company's endpoints, without secrets (Administrators)."""
    del reads  # `min_position` waits for the read models, which write the endpoints
    app.require_webhook_administrator(caller.as_person(), cid)
    found = [
        WebhookOut(
            webhook_id=UUID(e.endpoint_id),
            url=e.url,
            events=orjson.loads(e.events),
            status="ACTIVE" if e.status == "ACTIVE" else "DISABLED",
            created_by=e.created_by,
            created_at=datetime.fromisoformat(e.created_at),
        )
        for e in log.endpoints(str(cid))
    ]
    items, after = in_pages(found, page)
    return PageOf[WebhookOut](items=items, next=after)


@router.delete("/{webhook_id}", status_code=204, responses=WRITE)
def delete(*, cid: UUID, webhook_id: UUID, caller: CurrentCaller, app: App) -> Response:
    """Remove an endpoint: nothing more is sent to it (Administrators)."""
    receipt = app.delete_webhook(caller, cid, webhook_id)
    return Response(status_code=204, headers={"X-Position": str(receipt.position)})


@router.post("/{webhook_id}/enable", responses=WRITE)
def enable(
    *, cid: UUID, webhook_id: UUID, caller: CurrentCaller, app: App, response: Response
) -> WebhookEnabled:
    """Enable an endpoint the sender disabled after days of failures: the messages of the
    events from now on are sent to it (Administrators)."""
    receipt = app.enable_webhook(caller, cid, webhook_id)
    position = written(response, receipt.position)
    return WebhookEnabled(webhook_id=webhook_id, status="ACTIVE", position=position)


@router.get("/{webhook_id}/deliveries", responses=READ)
def delivery_log(
    *,
    cid: UUID,
    webhook_id: UUID,
    caller: CurrentCaller,
    app: App,
    reads: Reads,
    log: Deliveries,
    page: Page,
) -> PageOf[DeliveryOut]:
    """Every attempt to the endpoint, newest first (Administrators)."""
    del reads
    app.administered_webhook(caller.as_person(), cid, webhook_id)
    key = str(webhook_id)
    found = [
        DeliveryOut(
            message_id=message_id(a.position, key),
            type=a.type,
            attempt=a.attempt,
            status_code=a.status_code,
            error=a.error,
            at=a.at,
            next_attempt_at=a.next_attempt_at,
        )
        for a in log.attempts(key, LOG_LIMIT)
    ]
    items, after = in_pages(found, page)
    return PageOf[DeliveryOut](items=items, next=after)
