"""Issue 9, faults: `billing-center serve` on a database it cannot use says why and exits.

Unreachable (nothing listens, no such database) or written by a newer release (its schema
version is above ours): one clear line on stderr, a non-zero exit, no traceback.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import psycopg
import pytest

from store.schema import SCHEMA_VERSION, TABLE, SchemaTooNew, check_store
from tests.postgres import free_port
from tests.reliability.service import run_cli

SERVE = ("serve", "--host", "127.0.0.1", "--port", "0")


def _assert_refused_plainly(result: subprocess.CompletedProcess[str], *words: str) -> None:
    output = result.stdout + result.stderr
    assert result.returncode not in (0, None), output
    assert "Traceback" not in output, output
    assert "error:" in output
    for word in words:
        assert word in output, output


def test_serve_with_nothing_listening_exits_with_a_clear_error(tmp_path: Path) -> None:
    url = f"postgresql://billing@127.0.0.1:{free_port()}/nowhere"
    _assert_refused_plainly(run_cli(url, tmp_path, *SERVE), "unreachable", "127.0.0.1")


@pytest.mark.postgres
def test_serve_on_a_missing_database_exits_with_a_clear_error(
    postgres_server: str, tmp_path: Path
) -> None:
    url = postgres_server.rsplit("/", 1)[0] + "/no_such_database"
    _assert_refused_plainly(run_cli(url, tmp_path, *SERVE), "unreachable", "no_such_database")


def _mark_newer(url: str) -> None:
    check_store(url)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"UPDATE {TABLE} SET version = %s", (SCHEMA_VERSION + 1,))


@pytest.mark.postgres
def test_serve_on_a_schema_of_a_newer_release_exits_with_a_clear_error(
    postgres_url: str, tmp_path: Path
) -> None:
    _mark_newer(postgres_url)
    _assert_refused_plainly(run_cli(postgres_url, tmp_path, *SERVE), "newer", "schema version")


def test_serve_on_a_newer_sqlite_store_exits_with_a_clear_error(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'events.sqlite'}"
    check_store(url, SCHEMA_VERSION + 1)
    _assert_refused_plainly(run_cli(url, tmp_path, *SERVE), "newer")


def test_a_new_database_is_marked_with_this_version(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'events.sqlite'}"
    assert check_store(url) == 0
    assert check_store(url) == SCHEMA_VERSION
    with pytest.raises(SchemaTooNew):
        check_store(url, SCHEMA_VERSION - 1)
