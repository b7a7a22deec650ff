"""The composition root of the write side: settings in, a ready BillingCenter out."""

from __future__ import annotations

from api.keys import AesGcmSecretBox, load_or_create_data_key
from api.settings import Settings
from api.storage import eventsourcing_env
from domain.application import BillingCenter, utc_now
from domain.ports import Clock
from projections.audit.privacy import PrivateBillingCenter


def billing_center(settings: Settings, *, clock: Clock = utc_now) -> BillingCenter:
    """The application service on the configured store, with the configured data key.

    Personal data in its events is sealed with a key per person (C4, projections.audit).
    """
    key = load_or_create_data_key(settings.data_key, create=settings.is_development)
    return PrivateBillingCenter(
        env=eventsourcing_env(settings.database_url),
        secret_box=AesGcmSecretBox(key),
        clock=clock,
    )
