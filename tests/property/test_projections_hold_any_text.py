"""Issue 17: whatever text an older version stored (any Unicode, control characters and
NUL included), the projections on PostgreSQL apply it: each read model holds the text
with U+FFFD where the database cannot hold a character, nothing stalls, and no read
model fails."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path
from uuid import UUID

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain.values import Role
from projections.runner import PROJECTIONS, rebuild
from tests.builders import add_user, enrolled_company, person
from tests.integration.projections_support import Stack, stack
from tests.old_versions import MARK, storing_as_an_old_version
from tests.postgres import PostgresServer

_examples = itertools.count()
EXAMPLE = settings(suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
TEXT = st.text(min_size=1, max_size=80) | st.sampled_from(["\x00", "a\x00b", "\x00\ufffd\x00"])


@pytest.fixture
def on_postgres(tmp_path: Path, postgres_instance: PostgresServer) -> Iterator[tuple[Stack, UUID]]:
    """Acme with bob, on PostgreSQL (the database that cannot hold a NUL in text)."""
    with stack("postgres", tmp_path, postgres_instance) as s:
        company = enrolled_company(s.app)
        add_user(s.app, company, "bob", Role.VIEW_ONLY)
        yield s, company


def _held(text: str) -> str:
    return text.replace("\x00", "\ufffd")


@EXAMPLE
@given(text=TEXT)
def test_any_stored_name_projects_as_the_database_can_hold_it(
    on_postgres: tuple[Stack, UUID], text: str
) -> None:
    s, company = on_postgres
    new = f"#{next(_examples)}"  # a change each time: the same name again records nothing
    with storing_as_an_old_version(s.app, text):
        s.app.change_company_details(person("alice"), company, MARK + new, f"1 {MARK} Road")
        s.app.change_user_profile(person("alice"), company, "bob", "bob@example.com", MARK + new)
    s.catch_up()
    assert all(p.failure is None and p.lag == 0 for p in s.reads.status())
    shown = s.reads.company(company)
    assert shown is not None
    assert (shown.name, shown.address) == (_held(text) + new, f"1 {_held(text)} Road")
    bob = s.reads.user(company, "bob")
    assert bob is not None
    assert bob.name == _held(text) + new


def test_a_rebuild_goes_past_a_stored_nul(on_postgres: tuple[Stack, UUID]) -> None:
    """A rebuild from 0 used to stop at the same event as the live copy."""
    s, company = on_postgres
    with storing_as_an_old_version(s.app):
        s.app.change_company_details(person("alice"), company, f"A{MARK}", "1 Road")
    for name in PROJECTIONS:
        rebuild(s.db, s.app, name)
    shown = s.reads.company(company)
    assert shown is not None
    assert shown.name == "A\ufffd"
    assert {p.position for p in s.reads.status()} == {s.app.head()}
