"""The composition root of the write side: settings in, a ready BillingCenter out."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from api.settings import Settings
from domain.application import BillingCenter, utc_now
from domain.ports import Clock
from projections.audit.privacy import PrivateBillingCenter
from store.keys import AesGcmSecretBox, load_or_create_data_key
from store.locks import AdvisoryLock, session_lock
from store.url import eventsourcing_env, is_postgres, postgres_conninfo


def billing_center(settings: Settings, *, clock: Clock = utc_now) -> BillingCenter:
    """The application service on the configured store, with the configured data key.

    Personal data in its events is sealed with a key per person (C4, projections.audit).
    """
    key = load_or_create_data_key(settings.data_key, create=settings.is_development)
    with _one_creator_at_a_time(settings.database_url):
        return PrivateBillingCenter(
            env=eventsourcing_env(settings.database_url),
            secret_box=AesGcmSecretBox(key),
            clock=clock,
        )


@contextmanager
def _one_creator_at_a_time(url: str) -> Iterator[None]:
    """Serialise the library's CREATE TABLE IF NOT EXISTS across processes.

    Two processes starting together on one PostgreSQL database (the API and a projection
    runner, or two workers) otherwise race in the catalogue: "tuple concurrently updated".
    """
    if not is_postgres(url):
        yield
        return
    conninfo, _ = postgres_conninfo(url)
    with session_lock(conninfo, AdvisoryLock.EVENT_TABLES):
        yield
