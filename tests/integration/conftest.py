"""Fixtures of the integration tests that run the application beside its read models."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from api.bootstrap import billing_center
from api.settings import Settings
from domain.application import BillingCenter
from projections.runner import ensure_schema
from store.database import Database, open_database
from tests.builders import FixedClock


@pytest.fixture
def settings(durable_store_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """Development settings on a durable store (SQLite file or PostgreSQL) of this test."""
    monkeypatch.setenv("BILLING_ENV", "development")
    monkeypatch.setenv("BILLING_DATABASE_URL", durable_store_url)
    monkeypatch.setenv("BILLING_DATA_KEY", str(tmp_path / "data.key"))
    return Settings()


@pytest.fixture
def app(settings: Settings) -> Iterator[BillingCenter]:
    """The billing center on that store, its clock fixed."""
    center = billing_center(settings, clock=FixedClock())
    yield center
    center.close()


@pytest.fixture
def db(settings: Settings) -> Iterator[Database]:
    """The read models' database on that store, its schema made."""
    database = open_database(settings.database_url)
    ensure_schema(database)
    yield database
    database.close()
