"""The suite's own PostgreSQL server answers, and each test gets an empty database."""

from __future__ import annotations

import psycopg
import pytest

pytestmark = pytest.mark.postgres


def test_server_answers_a_query(postgres_server: str) -> None:
    with psycopg.connect(postgres_server) as connection:
        assert connection.execute("select 1").fetchone() == (1,)


def test_each_test_gets_a_fresh_empty_database(postgres_url: str) -> None:
    with psycopg.connect(postgres_url) as connection:
        tables = connection.execute(
            "select count(*) from information_schema.tables where table_schema = 'public'"
        ).fetchone()
    assert tables == (0,)
