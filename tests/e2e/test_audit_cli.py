"""`billing-center audit ...` and `privacy forget` on a SQLite store (C1-C4)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from api.cli import cli
from domain.values import Role
from tests.audit_world import ACCOUNT, add_user, center, company, issue


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    monkeypatch.chdir(tmp_path)
    url = f"sqlite:///{tmp_path / 'events.sqlite'}"
    app = center(url)
    cid = company(app)
    add_user(app, cid, "bob", Role.VIEW_ONLY, accounts=(ACCOUNT,))
    issue(app, ACCOUNT, "INV-1")
    app.close()
    return {"BILLING_ENV": "development", "BILLING_DATABASE_URL": url}


def _run(env: dict[str, str], *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args), env=env)
    return result.exit_code, result.output


def test_export_then_verify_then_tamper(env: dict[str, str], tmp_path: Path) -> None:
    code, output = _run(env, "audit", "export", "--out", str(tmp_path / "x"))
    assert code == 0, output
    code, output = _run(env, "audit", "verify", str(tmp_path / "x"))
    assert code == 0
    assert "verified 12 records" in output
    assert "only a key obtained" in output
    events = tmp_path / "x" / "events.jsonl"
    events.write_text(events.read_text().replace('"alice"', '"mallory"', 1))
    code, output = _run(env, "audit", "verify", str(tmp_path / "x"))
    assert code == 1
    assert "was altered" in output


def test_verify_store_names_a_deleted_row(env: dict[str, str], tmp_path: Path) -> None:
    assert _run(env, "audit", "checkpoint")[0] == 0
    assert "verified 12 rows" in _run(env, "audit", "verify-store")[1]

    with sqlite3.connect(tmp_path / "events.sqlite") as connection:
        connection.execute("DELETE FROM stored_events WHERE rowid = 5")
    code, output = _run(env, "audit", "verify-store")
    assert code == 1
    assert "position 5 was deleted" in output


def test_forget_erases_and_exports_still_verify(env: dict[str, str], tmp_path: Path) -> None:
    code, output = _run(env, "privacy", "forget", "bob")
    assert code == 0, output
    assert _run(env, "audit", "export", "--format", "csv", "--out", str(tmp_path / "x"))[0] == 0
    text = (tmp_path / "x" / "events.csv").read_text()
    assert "bob@example.com" not in text
    assert "[erased]" in text
    assert _run(env, "audit", "verify", str(tmp_path / "x"))[0] == 0


def test_forget_erases_the_person_from_the_read_models_too(env: dict[str, str]) -> None:
    """C4: the directory and the audit trail no longer hold the erased e-mail."""
    assert _run(env, "projections", "rebuild", "--all")[0] == 0
    code, output = _run(env, "privacy", "forget", "bob")
    assert code == 0, output
    store = sqlite3.connect(env["BILLING_DATABASE_URL"].removeprefix("sqlite:///"))
    tables = [
        row[0] for row in store.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
    ]
    for table in tables:
        if table.startswith(("directory", "audit_trail", "audit_g", "trail")):
            rows = store.execute(f'SELECT * FROM "{table}"').fetchall()
            assert "bob@example.com" not in repr(rows), table


def test_replay_copies_the_store_into_another(env: dict[str, str], tmp_path: Path) -> None:
    into = f"sqlite:///{tmp_path / 'copy.sqlite'}"
    code, output = _run(env, "audit", "replay", "--until", "2999-01-01T00:00:00Z", "--into", into)
    assert code == 0, output
    assert "copied 12 events" in output
    assert center(into).user("bob").email == "bob@example.com"


def test_forget_of_an_unknown_login_is_refused_and_changes_nothing(env: dict[str, str]) -> None:
    """C4: a mistyped login destroys no key and records nothing."""
    before = center(env["BILLING_DATABASE_URL"])
    head = before.head()
    before.close()
    code, output = _run(env, "privacy", "forget", "nobody")
    assert code == 1
    assert "no person with the login 'nobody'" in output
    after = center(env["BILLING_DATABASE_URL"])
    assert after.head() == head
    assert after.user("bob").email == "bob@example.com"
