"""Issue 22: a company's webhook endpoints — created, deleted and enabled again by its
Administrators, disabled by the sender after days of failures; each an event with its actor."""

from __future__ import annotations

import base64
import secrets
from dataclasses import dataclass
from uuid import UUID

from domain.application.retries import Receipt, command
from domain.application.service import Service
from domain.caller import Caller
from domain.errors import NotFound
from domain.webhook import WebhookEndpoint, endpoint_url, event_types, require_administrator

SECRET_BYTES = 24


@dataclass(frozen=True)
class NewEndpoint:
    """What a created endpoint answers once: its id and its secret (`whsec_...`)."""

    webhook_id: UUID
    secret: str


def new_secret() -> str:
    """A Standard Webhooks secret: `whsec_` and base64 of random bytes."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


class Webhooks(Service):
    """The commands about webhook endpoints."""

    def webhook(self, webhook_id: UUID) -> WebhookEndpoint:
        """An endpoint, whoever asks (callers check the company themselves)."""
        return self._get(WebhookEndpoint, webhook_id, "webhook", webhook_id)

    def administered_webhook(
        self, login: str, company_id: UUID, webhook_id: UUID
    ) -> WebhookEndpoint:
        """The company's endpoint, if `login` administers the company (404/403 otherwise)."""
        company = self._member_company(login, company_id)
        require_administrator(company, login)
        endpoint = self.webhook(webhook_id)
        endpoint.require_company(company_id)
        return endpoint

    def require_webhook_administrator(self, login: str, company_id: UUID) -> None:
        """Refuse unless `login` is one of the company's Administrators."""
        company = self._member_company(login, company_id)
        require_administrator(company, login)

    @command
    def create_webhook(
        self, caller: Caller, company_id: UUID, url: str, events: list[str]
    ) -> Receipt[NewEndpoint]:
        """An Administrator connects a URL; its secret is answered once, sealed in the event."""
        self.require_webhook_administrator(caller.as_person(), company_id)
        secret = new_secret()
        endpoint = WebhookEndpoint(
            company_id=str(company_id),
            url=endpoint_url(url),
            events=event_types(events),
            sealed_secret=self.secret_box.seal(secret),
        )
        return Receipt(self._save(endpoint), NewEndpoint(endpoint.id, secret))

    @command
    def delete_webhook(self, caller: Caller, company_id: UUID, webhook_id: UUID) -> Receipt[None]:
        """An Administrator removes an endpoint: nothing more is sent to it."""
        endpoint = self.administered_webhook(caller.as_person(), company_id, webhook_id)
        endpoint.delete()
        return Receipt(self._save(endpoint), None)

    @command
    def enable_webhook(self, caller: Caller, company_id: UUID, webhook_id: UUID) -> Receipt[None]:
        """An Administrator enables a disabled endpoint again: the next messages go to it."""
        endpoint = self.administered_webhook(caller.as_person(), company_id, webhook_id)
        endpoint.enable()
        return Receipt(self._save(endpoint), None)

    @command
    def disable_webhook(self, caller: Caller, webhook_id: UUID, reason: str) -> Receipt[None]:  # noqa: ARG002
        """The sender gives up on an endpoint that failed for days (caller: the sender)."""
        try:
            endpoint = self.webhook(webhook_id)
        except NotFound:
            return Receipt(self.head(), None)
        endpoint.disable(reason)
        return Receipt(self._save(endpoint), None)

    def webhook_secret(self, webhook_id: UUID) -> str:
        """The endpoint's secret in clear, for signing."""
        return self.secret_box.open(self.webhook(webhook_id).sealed_secret)
