"""Bodies of the webhook routes (issue 22, API.md "Identity providers, API keys and webhooks")."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

from pydantic import BaseModel, Field

from api.schemas.values import In
from domain.webhook import WebhookType


class NewWebhook(In):
    """An endpoint: an absolute http(s) URL and the message types it wants."""

    url: Annotated[str, Field(min_length=8, max_length=2000)]
    events: Annotated[list[WebhookType], Field(min_length=1, max_length=6)]


class WebhookCreated(BaseModel):
    """201 of a new endpoint: its secret, shown this once."""

    webhook_id: UUID
    secret: str
    position: int


class WebhookEnabled(BaseModel):
    """200 of enabling an endpoint again: it is active, the next messages go to it."""

    webhook_id: UUID
    status: Literal["ACTIVE"]
    position: int


class WebhookOut(BaseModel):
    """An endpoint, without its secret."""

    webhook_id: UUID
    url: str
    events: list[str]
    status: Literal["ACTIVE", "DISABLED"]
    created_by: str
    created_at: datetime


class DeliveryOut(BaseModel):
    """One attempt of one message to the endpoint."""

    message_id: str
    type: str
    attempt: int
    status_code: int | None
    error: str
    at: datetime
    next_attempt_at: datetime | None
