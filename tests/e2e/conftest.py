"""The app on a throwaway store for HTTP tests: SQLite and PostgreSQL (and memory where cheap)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.e2e.http import World, enroll, running
from tests.integration.mail.smtp import SmtpServer


@pytest.fixture
def api(durable_store_url: str, tmp_path: Path) -> Iterator[TestClient]:
    """A started app (projections running) on SQLite, then on PostgreSQL."""
    with running(durable_store_url, str(tmp_path)) as client:
        yield client


@pytest.fixture
def any_api(store_url: str, tmp_path: Path) -> Iterator[TestClient]:
    """A started app on memory, SQLite and PostgreSQL."""
    with running(store_url, str(tmp_path)) as client:
        yield client


@pytest.fixture
def world(api: TestClient) -> World:
    """Acme, enrolled by alice with two accounts."""
    return enroll(api)


@pytest.fixture
def mailing(durable_store_url: str, tmp_path: Path, smtp: SmtpServer) -> Iterator[World]:
    """Acme on an app whose e-mails go to the test's SMTP server on loopback."""
    with running(durable_store_url, str(tmp_path), smtp_url=smtp.url) as client:
        yield enroll(client)
