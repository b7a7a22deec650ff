"""One property of the read models, run on SQLite and on PostgreSQL.

A PostgreSQL example creates a database of its own (about a second): a quarter of the
profile's examples there keeps the suite bounded; SQLite runs them all, same oracle.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis.strategies import SearchStrategy

from tests.postgres import PostgresServer

Steps = list[tuple[int, int, int, int]]
Check = Callable[[str, PostgresServer | None, Path, Steps], None]

EXAMPLE = settings(suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
POSTGRES_EXAMPLE = settings(EXAMPLE, max_examples=max(5, settings().max_examples // 4))


def on_both_backends(check: Check, steps: SearchStrategy[Steps], *examples: Steps) -> type:
    """`check(backend, server, folder, steps)` as a test class: on SQLite and on PostgreSQL.

    Assign it to a `Test...` name for pytest to collect it; `examples` are tried first.
    """

    def on_sqlite(_: object, tmp_path: Path, steps: Steps) -> None:
        check("sqlite", None, tmp_path, steps)

    def on_postgres(
        _: object, postgres_instance: PostgresServer, tmp_path: Path, steps: Steps
    ) -> None:
        check("postgres", postgres_instance, tmp_path, steps)

    methods: dict[str, Any] = {}
    for name, test, profile in (
        ("test_on_sqlite", on_sqlite, EXAMPLE),
        ("test_on_postgres", on_postgres, POSTGRES_EXAMPLE),
    ):
        test.__doc__ = check.__doc__
        with_examples: Any = test
        for case in examples:
            with_examples = example(steps=case)(with_examples)
        methods[name] = profile(given(steps=steps)(with_examples))
    methods["test_on_postgres"] = pytest.mark.postgres(methods["test_on_postgres"])
    return type("OnBothBackends", (), methods)
