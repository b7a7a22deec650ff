"""C4, issue 18: `billing-center privacy forget LOGIN` reaches every copy of the person's
name and e-mail, on SQLite and PostgreSQL, while the service that knew them keeps running.

The person is known to the running service (its cached User, its read models, the outbox's
own directory, a kept idempotent answer, an e-mail already sent). After the erasure, run
from another process's application, the very same service answers every route that shows
users, the audit routes and the exports without them; the next invoice mails them nothing;
and no table of any schema of the database holds them. The events stay, sealed.
"""

from __future__ import annotations

import io
import json
import sqlite3
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
import pytest
from typer.testing import CliRunner

from api.cli import cli
from api.tokens import Scope
from tests.e2e.http import SECRET, As, World
from tests.integration.mail.smtp import SmtpServer, eventually

LOGIN = "robert"
EMAIL, FORMER_EMAIL = "robert.erasable@acme.test", "bobby.erasable@acme.test"
NAME, FORMER_NAME = "Robert Erasable", "Bobby Erasable"
PLAINTEXT = (EMAIL, NAME, FORMER_EMAIL, FORMER_NAME)


@pytest.fixture
def settings_env(durable_store_url: str, tmp_path: Path, smtp: SmtpServer) -> dict[str, str]:
    """The BILLING_* environment of the service, for the operator's command line."""
    return {
        "BILLING_ENV": "development",
        "BILLING_DATABASE_URL": durable_store_url,
        "BILLING_JWT_SECRET": SECRET,
        "BILLING_DATA_KEY": str(tmp_path / "keys" / "data.key"),
        "BILLING_EXPORT_KEY": str(tmp_path / "keys" / "export.pem"),
        "BILLING_SMTP_URL": smtp.url,
    }


@pytest.fixture
def world(mailing: World) -> World:
    """Acme on an app that mails the test's SMTP server (the erasure reaches the outbox)."""
    return mailing


def _users_path(world: World, *rest: str) -> str:
    return "/".join((f"/v1/companies/{world.cid}/users", *rest))


def _known_to_the_service(world: World, smtp: SmtpServer) -> dict[str, Any]:
    """robert is added, his profile then his role changed with Idempotency-Keys (both
    answers are kept for replays), and he is mailed once."""
    body = {"login": LOGIN, "email": FORMER_EMAIL, "name": FORMER_NAME, "role": "VIEW_ONLY",
            "accounts": [world.accounts[0]]}  # fmt: skip
    assert world.admin.post(_users_path(world), json=body).status_code == 201
    profile = {"email": EMAIL, "name": NAME}
    renamed = world.admin.put(
        _users_path(world, LOGIN), headers={"Idempotency-Key": "profile-1"}, json=profile
    )
    assert renamed.status_code == 200, renamed.text
    replayable = {"headers": {"Idempotency-Key": "role-1"}, "json": {"role": "VIEW_PAY"}}
    changed = world.admin.put(_users_path(world, LOGIN, "role"), **replayable)
    assert changed.status_code == 200, changed.text
    assert changed.json()["email"] == EMAIL  # the answer kept for replays holds it
    world.issue(world.accounts[0], invoice_number="INV-BEFORE")
    eventually(lambda: any(EMAIL in str(m["To"]) for m in smtp.inbox.messages))
    shown = _answers(world, replayable, datetime.now(UTC))
    assert _holds_plaintext(shown) == list(PLAINTEXT)  # the routes showed it before
    return replayable


def _forget(world: World, env: dict[str, str]) -> int:
    """The operator's command, in an application of its own; the store's head after it."""
    result = CliRunner().invoke(cli, ["privacy", "forget", LOGIN], env=env)
    assert result.exit_code == 0, result.output
    head: int = world.client.get("/health").json()["store"]["head"]
    return head


def _answers(world: World, replayable: dict[str, Any], as_of: datetime) -> str:
    """Every answer that may show the person: user routes, audit routes (the company now,
    and `as_of` an instant before the erasure: C1 replays it), exports, a replay."""
    auditor = As(world.client, "inspector", Scope.AUDITOR, seen=world.admin.seen)
    robert = world.person(LOGIN)
    answers = [
        world.admin.put(_users_path(world, LOGIN, "role"), **replayable),  # replayed
        world.admin.get(_users_path(world)),
        world.admin.get(_users_path(world, LOGIN)),
        robert.get("/v1/me"),
        robert.get(_users_path(world, LOGIN)),
        auditor.get("/v1/audit/events", params={"limit": 500}),
        auditor.get(f"/v1/audit/companies/{world.cid}"),
        auditor.get(f"/v1/audit/companies/{world.cid}", params={"as_of": as_of.isoformat()}),
    ]
    texts = [a.text for a in answers if a.status_code == 200 or pytest.fail(a.text)]
    for fmt in ("jsonl", "csv"):
        export = auditor.get("/v1/audit/export", params={"format": fmt})
        assert export.status_code == 200, export.text
        with zipfile.ZipFile(io.BytesIO(export.content)) as archive:
            texts += [archive.read(name).decode() for name in archive.namelist()]
    return "\n".join(texts)


def _database_text(url: str) -> str:
    """Every value of every table of every schema, as text (bytes decoded, JSON dumped)."""
    values: list[Any] = []
    if url.startswith("sqlite"):
        with sqlite3.connect(url.removeprefix("sqlite:///")) as db:
            tables = [t for (t,) in db.execute("SELECT name FROM sqlite_master WHERE type='table'")]
            for table in tables:
                values += [v for row in db.execute(f'SELECT * FROM "{table}"') for v in row]
    else:
        with psycopg.connect(url) as db:
            tables = db.execute(
                "SELECT table_schema, table_name FROM information_schema.tables WHERE "
                "table_type = 'BASE TABLE' AND table_schema NOT IN ('pg_catalog', "
                "'information_schema')"
            ).fetchall()
            for schema, table in tables:
                rows = db.execute(f'SELECT * FROM "{schema}"."{table}"').fetchall()
                values += [v for row in rows for v in row]
    assert values, "the database dump is empty"
    return "\n".join(_text(v) for v in values)


def _text(value: Any) -> str:
    if isinstance(value, bytes | memoryview):
        return bytes(value).decode("utf-8", "replace")
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _holds_plaintext(text: str) -> list[str]:
    return [value for value in PLAINTEXT if value in text]


def test_c4_after_forget_no_answer_of_the_running_service_shows_the_person(
    world: World, smtp: SmtpServer, settings_env: dict[str, str]
) -> None:
    replayable = _known_to_the_service(world, smtp)
    known_at = datetime.now(UTC)
    world.admin.seen.append(_forget(world, settings_env))
    assert _holds_plaintext(_answers(world, replayable, known_at)) == []
    demoted = world.admin.put(_users_path(world, LOGIN, "role"), json={"role": "VIEW_ONLY"})
    assert demoted.status_code == 200, demoted.text
    assert (demoted.json()["email"], demoted.json()["name"]) == ("", "[erased]")


def test_c4_after_forget_nothing_is_mailed_to_the_erased_address(
    world: World, smtp: SmtpServer, settings_env: dict[str, str]
) -> None:
    _known_to_the_service(world, smtp)
    world.admin.seen.append(_forget(world, settings_env))
    mailed = len(smtp.inbox.messages)
    world.issue(world.accounts[0], invoice_number="INV-AFTER")
    eventually(lambda: any("INV-AFTER" in str(m["Subject"]) for m in smtp.inbox.messages))
    eventually(lambda: _unsent(settings_env["BILLING_DATABASE_URL"]) == 0)
    after = [m.as_string() for m in smtp.inbox.messages[mailed:]]
    assert after  # alice's e-mail went out
    assert [m for m in after if _holds_plaintext(m)] == []


def _unsent(url: str) -> int:
    sql = "SELECT COUNT(*) FROM outbox_messages WHERE sent_at IS NULL"
    if url.startswith("sqlite"):
        with sqlite3.connect(url.removeprefix("sqlite:///")) as db:
            return int(db.execute(sql).fetchone()[0])
    with psycopg.connect(url) as db:
        row = db.execute(sql).fetchone()
        return int(row[0]) if row else 0


def test_c4_after_forget_no_table_of_the_database_holds_the_person(
    world: World, smtp: SmtpServer, settings_env: dict[str, str]
) -> None:
    _known_to_the_service(world, smtp)
    url = settings_env["BILLING_DATABASE_URL"]
    assert _holds_plaintext(_database_text(url)) == list(PLAINTEXT)  # copies exist before
    world.admin.seen.append(_forget(world, settings_env))
    assert world.admin.get(_users_path(world)).status_code == 200  # the service caught up
    assert _holds_plaintext(_database_text(url)) == []
