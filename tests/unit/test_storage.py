"""BILLING_DATABASE_URL is mapped onto eventsourcing's persistence environment."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.http.app import create_app
from store.url import StorageUrlError, eventsourcing_env
from tests.e2e.http import settings_for


def test_memory_url_selects_the_in_process_store() -> None:
    assert eventsourcing_env("memory://") == {"PERSISTENCE_MODULE": "eventsourcing.popo"}


def test_sqlite_url_with_absolute_path_names_that_file(tmp_path: Path) -> None:
    env = eventsourcing_env(f"sqlite:///{tmp_path / 'db' / 'events.sqlite'}")
    assert env["PERSISTENCE_MODULE"] == "eventsourcing.sqlite"
    assert env["SQLITE_DBNAME"] == str(tmp_path / "db" / "events.sqlite")
    assert int(env["SQLITE_LOCK_TIMEOUT"]) > 0


def test_sqlite_url_creates_the_parent_folder(tmp_path: Path) -> None:
    eventsourcing_env(f"sqlite:///{tmp_path / 'a' / 'b' / 'events.sqlite'}")
    assert (tmp_path / "a" / "b").is_dir()


def test_sqlite_url_with_relative_path_is_relative_to_the_working_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    env = eventsourcing_env("sqlite:///./var/billing.sqlite")
    assert env["SQLITE_DBNAME"] == str(tmp_path.resolve() / "var" / "billing.sqlite")


def test_sqlite_url_without_a_path_is_refused() -> None:
    with pytest.raises(StorageUrlError, match="sqlite:///PATH"):
        eventsourcing_env("sqlite:///")


def test_postgresql_url_maps_every_connection_part() -> None:
    env = eventsourcing_env("postgresql://alice:s%40cret@db.example:6543/billing")
    assert env["PERSISTENCE_MODULE"] == "eventsourcing.postgres"
    assert env["POSTGRES_DBNAME"] == "billing"
    assert env["POSTGRES_HOST"] == "db.example"
    assert env["POSTGRES_PORT"] == "6543"
    assert env["POSTGRES_USER"] == "alice"
    assert env["POSTGRES_PASSWORD"] == "s@cret"


def test_postgres_scheme_is_an_alias_with_default_port_and_empty_password() -> None:
    env = eventsourcing_env("postgres://bob@localhost/events")
    assert env["POSTGRES_PORT"] == "5432"
    assert env["POSTGRES_PASSWORD"] == ""


def test_postgresql_url_sets_a_bounded_pool() -> None:
    env = eventsourcing_env("postgresql://u@h/d")
    assert int(env["POSTGRES_POOL_SIZE"]) >= 1
    assert int(env["POSTGRES_MAX_OVERFLOW"]) >= 0


def test_postgresql_url_keeps_the_default_insert_path_and_connection_age() -> None:
    env = eventsourcing_env("postgresql://u@h/d")
    assert "POSTGRES_ENABLE_DB_FUNCTIONS" not in env  # it skips the table lock (STYLE.md)
    assert "POSTGRES_CONN_MAX_AGE" not in env


def test_postgresql_schema_parameter_selects_the_schema() -> None:
    assert eventsourcing_env("postgresql://u@h/d?schema=billing")["POSTGRES_SCHEMA"] == "billing"
    assert "POSTGRES_SCHEMA" not in eventsourcing_env("postgresql://u@h/d")


def test_postgresql_unknown_parameter_is_refused() -> None:
    with pytest.raises(StorageUrlError, match="sslmode"):
        eventsourcing_env("postgresql://u@h/d?sslmode=require")


@pytest.mark.parametrize("url", ["postgresql://u@h/", "postgresql://h/d", "postgresql:///d"])
def test_postgresql_url_without_host_user_or_database_is_refused(url: str) -> None:
    with pytest.raises(StorageUrlError, match="postgresql://user:pass@host:port/db"):
        eventsourcing_env(url)


def test_refusal_does_not_echo_the_password() -> None:
    with pytest.raises(StorageUrlError) as refused:
        eventsourcing_env("postgresql://u:topsecret@h/d?x=1")
    assert "topsecret" not in str(refused.value)


@pytest.mark.parametrize("url", ["mysql://u@h/d", "billing.sqlite", ""])
def test_unknown_scheme_is_refused_with_the_supported_ones(url: str) -> None:
    with pytest.raises(StorageUrlError, match="memory://, sqlite:///PATH or postgresql://"):
        eventsourcing_env(url)


@pytest.fixture
def usual_umask() -> Iterator[None]:
    """The usual umask (022), under which files are created world-readable by default."""
    before = os.umask(0o022)
    yield
    os.umask(before)


@pytest.mark.usefixtures("usual_umask")
def test_the_sqlite_file_and_its_journals_are_private(tmp_path: Path) -> None:
    """Issue 18: the development store holds personal data: 0600 from its creation on."""
    path = tmp_path / "var" / "billing.sqlite"
    settings = settings_for(f"sqlite:///{path}", str(tmp_path))
    with TestClient(create_app(settings)) as client:
        assert client.get("/health").status_code == 200
        files = [p for p in path.parent.iterdir() if p.name.startswith(path.name)]
        assert path in files
        assert {p.name: stat.S_IMODE(p.stat().st_mode) for p in files} == {
            p.name: 0o600 for p in files
        }
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
