"""Shared fixtures: the throwaway PostgreSQL server, per-test databases, store URLs."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from tests.integration.mail.smtp import SmtpServer
from tests.postgres import PostgresServer, start_server

# 20 derandomized examples keep `make test` within 15 minutes on 2 cores now that the read-model
# properties run on both stores (PostgreSQL gets a quarter); `make test-deep` runs 500.
settings.register_profile(
    "ci",
    max_examples=20,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("deep", max_examples=500, deadline=None)
settings.register_profile("dev", max_examples=100, deadline=None)
PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "dev")
"""The loaded profile's name, for tests whose own bounds follow it (test_openapi_fuzz)."""
settings.load_profile(PROFILE)


@pytest.fixture(scope="session")
def postgres_instance() -> Iterator[PostgresServer]:
    """One throwaway server per test process (each xdist worker gets its own)."""
    server = start_server()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def postgres_server(postgres_instance: PostgresServer) -> str:
    """The URL of the server's maintenance database (``.../postgres``)."""
    return postgres_instance.base_url


@pytest.fixture
def postgres_url(postgres_instance: PostgresServer) -> Iterator[str]:
    """A fresh empty database for this test, dropped afterwards."""
    with postgres_instance.database() as url:
        yield url


POSTGRES = pytest.param("postgres", marks=pytest.mark.postgres)


@pytest.fixture(params=["memory", "sqlite", POSTGRES])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A ``BILLING_DATABASE_URL`` for an empty store: in memory, a SQLite file, PostgreSQL."""
    return _empty_store_url(request, tmp_path)


@pytest.fixture(params=["sqlite", POSTGRES])
def durable_store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty store that several Applications (threads, processes) can share."""
    return _empty_store_url(request, tmp_path)


def _empty_store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "memory":
        return "memory://"
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'events.sqlite'}"
    url: str = request.getfixturevalue("postgres_url")
    return url


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    """A real SMTP server on loopback that keeps what it is sent (e-mail tests)."""
    server = SmtpServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()
