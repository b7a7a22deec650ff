"""A company's webhook endpoint (issue 22): where its integration is told of events.

Creating, deleting, disabling and enabling again an endpoint are events with their actor,
so auditors see who connected what. Only Administrators manage endpoints (API.md: the
permission matrix of R2 has no other role for it); the endpoint's secret reaches the event
sealed.
"""

from __future__ import annotations

from typing import Literal, get_args
from urllib.parse import urlsplit
from uuid import UUID

from eventsourcing.domain import event

from domain.base import BillingAggregate
from domain.company import Company
from domain.errors import Forbidden, InvalidInput, NotFound
from domain.values import Role

WebhookType = Literal[
    "invoice.available",
    "payment.received",
    "adjustment.updated",
    "account.unenrolled",
    "account.reenrolled",
    "user.removed",
]
"""The message types of API.md, in its order."""
WEBHOOK_TYPES: tuple[WebhookType, ...] = get_args(WebhookType)

MAX_URL = 2000


def require_administrator(company: Company, by: str) -> None:
    """Only the company's Administrators manage its webhooks (R2's matrix, API.md)."""
    if company.role_of(by) is not Role.ADMINISTRATOR:
        raise Forbidden("only Administrators manage webhooks", rule="R2")


def endpoint_url(url: str) -> str:
    """An absolute http(s) URL with a host, a valid port, no credentials, no spaces or
    control characters (422 otherwise)."""
    try:
        parts = urlsplit(url)
        port_ok = parts.port is None or parts.port > 0
    except ValueError:  # a broken IPv6 literal or port
        raise InvalidInput("url", "an absolute http or https URL") from None
    if len(url) > MAX_URL or parts.scheme not in {"http", "https"} or not parts.hostname:
        raise InvalidInput("url", "an absolute http or https URL")
    if not port_ok or parts.username or parts.password or not url.isprintable() or " " in url:
        raise InvalidInput("url", "a URL without credentials, spaces or control characters")
    return url


def event_types(types: list[str]) -> list[str]:
    """One or more of the webhook types, each once, in API.md's order."""
    unknown = set(types) - set(WEBHOOK_TYPES)
    if not types or unknown:
        raise InvalidInput("events", f"one or more of {', '.join(WEBHOOK_TYPES)}")
    return [t for t in WEBHOOK_TYPES if t in types]


class WebhookEndpoint(BillingAggregate):
    """One URL of a company that receives the message types it subscribed to."""

    @event("WebhookEndpointCreated")
    def __init__(self, company_id: str, url: str, events: list[str], sealed_secret: str) -> None:
        self.company_id = company_id
        self.url = url
        self.events = list(events)
        self.sealed_secret = sealed_secret
        self.status = "ACTIVE"

    def require_company(self, company_id: UUID) -> None:
        """Another company's endpoint "does not exist"."""
        if self.company_id != str(company_id) or self.status == "DELETED":
            raise NotFound("webhook", self.id)

    def delete(self) -> None:
        """Stop sending to it for good."""
        self._deleted()

    @event("WebhookEndpointDeleted")
    def _deleted(self) -> None:
        self.status = "DELETED"

    def disable(self, reason: str) -> None:
        """Messages failed for days: stop calling it (an event, so the company learns why)."""
        if self.status == "ACTIVE":
            self._disabled(reason=reason)

    @event("WebhookEndpointDisabled")
    def _disabled(self, reason: str) -> None:
        self.status = "DISABLED"
        self.disabled_because = reason

    def enable(self) -> None:
        """Call a disabled endpoint again (an Administrator, once it is fixed): the messages
        of the events from now on are sent; an active endpoint stays as it is."""
        if self.status == "DISABLED":
            self._enabled()

    @event("WebhookEndpointEnabled")
    def _enabled(self) -> None:
        self.status = "ACTIVE"
