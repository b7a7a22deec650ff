"""The app on a throwaway store for HTTP tests: SQLite and PostgreSQL (and memory where cheap)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.e2e.http import World, enroll, on_template, running
from tests.integration.mail.smtp import SmtpServer
from tests.postgres import PostgresServer


@pytest.fixture(scope="session")
def app_template(
    postgres_instance: PostgresServer, tmp_path_factory: pytest.TempPathFactory
) -> str:
    """A template database holding the app's schema and no rows: the app started on it once,
    then every table emptied. Copying it is a file copy; creating the schema per test took
    most of a PostgreSQL test's setup (the schema's own creation is tested on empty databases
    in tests/integration and tests/reliability)."""
    url = postgres_instance.create_database()
    with running(url, str(tmp_path_factory.mktemp("template"))):
        pass
    return postgres_instance.make_template(url)


@pytest.fixture
def postgres_url(postgres_instance: PostgresServer, app_template: str) -> Iterator[str]:
    """A fresh database with the app's schema and no rows, dropped afterwards (the HTTP tests'
    apps start on it as on an empty one: same tables, no events, no positions)."""
    with postgres_instance.database(template=app_template) as url:
        yield url


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file holding the app's schema and no rows, as `app_template` for PostgreSQL:
    creating the schema commits each table with a sync, most of a SQLite test's setup."""
    home = tmp_path_factory.mktemp("sqlite-template")
    path = home / "events.sqlite"
    with running(f"sqlite:///{path}", str(home)):
        pass
    with sqlite3.connect(path) as db:
        tables = db.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
        for (table,) in tables:
            db.execute(f'DELETE FROM "{table}"')  # sqlite_sequence too: ids restart
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # all in the one file copied
    return path


@pytest.fixture
def api(
    durable_store_url: str, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[TestClient]:
    """A started app (projections running) on SQLite, then on PostgreSQL."""
    with running(on_template(durable_store_url, request), str(tmp_path)) as client:
        yield client


@pytest.fixture
def any_api(store_url: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[TestClient]:
    """A started app on memory, SQLite and PostgreSQL."""
    with running(on_template(store_url, request), str(tmp_path)) as client:
        yield client


@pytest.fixture
def world(api: TestClient) -> World:
    """Acme, enrolled by alice with two accounts."""
    return enroll(api)


@pytest.fixture
def mailing(
    durable_store_url: str, tmp_path: Path, smtp: SmtpServer, request: pytest.FixtureRequest
) -> Iterator[World]:
    """Acme on an app whose e-mails go to the test's SMTP server on loopback."""
    url = on_template(durable_store_url, request)
    with running(url, str(tmp_path), smtp_url=smtp.url) as client:
        yield enroll(client)
