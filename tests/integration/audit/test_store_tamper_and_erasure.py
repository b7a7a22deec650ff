"""Tamper evidence in the store, and C4 erasure, on SQLite and PostgreSQL: a row edited or
deleted with SQL is named; forgetting a person changes no event row and breaks no chain."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import psycopg
import pytest

from domain.user import ERASED
from domain.values import Role
from projections.audit.chain import Signer, new_private_pem
from projections.audit.checkpoints import seal, verify_store
from projections.audit.export import write_export
from projections.audit.privacy import PrivateBillingCenter
from projections.audit.records import AuditLog
from projections.audit.verify import verify_export
from tests.audit_world import ACCOUNT, add_user, center, company, issue

SIGNER = Signer(new_private_pem())


def _sql(url: str, statement: str) -> list[Any]:
    if url.startswith("sqlite"):
        with sqlite3.connect(url.removeprefix("sqlite:///")) as connection:
            return connection.execute(
                statement.replace("billingcenter_events", "stored_events")
            ).fetchall()
    with psycopg.connect(url, autocommit=True) as connection:
        cursor = connection.execute(statement.replace("rowid", "notification_id"))
        return cursor.fetchall() if cursor.description else []


def _history(url: str) -> PrivateBillingCenter:
    app = center(url)
    cid = company(app)
    add_user(app, cid, "bob", Role.VIEW_ONLY, accounts=(ACCOUNT,))
    issue(app, ACCOUNT, "INV-1")
    return app


def test_a_sealed_untouched_store_verifies(durable_store_url: str) -> None:
    app = _history(durable_store_url)
    seal(app.recorder, app.side_store, SIGNER)
    issue(app, ACCOUNT, "INV-2")
    verdict = verify_store(app.recorder, app.side_store, SIGNER.public_pem())
    assert verdict.ok, verdict.problem
    assert verdict.unsealed == 2


def test_an_event_row_edited_with_sql_is_named(durable_store_url: str) -> None:
    app = _history(durable_store_url)
    seal(app.recorder, app.side_store, SIGNER)
    edited = (
        "CAST(replace(CAST(state AS TEXT), 'alice', 'mallo') AS BLOB)"
        if durable_store_url.startswith("sqlite")
        else "convert_to(replace(convert_from(state, 'UTF8'), 'alice', 'mallo'), 'UTF8')"
    )
    _sql(durable_store_url, f"UPDATE billingcenter_events SET state = {edited} WHERE rowid = 4")
    verdict = verify_store(app.recorder, app.side_store, SIGNER.public_pem())
    assert verdict.problem == "event row at position 4 was edited"


def test_an_event_row_deleted_with_sql_is_named(durable_store_url: str) -> None:
    app = _history(durable_store_url)
    seal(app.recorder, app.side_store, SIGNER)
    _sql(durable_store_url, "DELETE FROM billingcenter_events WHERE rowid = 6")
    verdict = verify_store(app.recorder, app.side_store, SIGNER.public_pem())
    assert verdict.problem == "event row at position 6 was deleted"


def test_a_recorded_chain_rewritten_to_match_fails_the_signed_checkpoint(
    durable_store_url: str,
) -> None:
    app = _history(durable_store_url)
    seal(app.recorder, app.side_store, SIGNER)
    app.side_store.query("UPDATE audit_chain SET row_hash = ? WHERE position = 3", ("00" * 32,))
    verdict = verify_store(app.recorder, app.side_store, SIGNER.public_pem())
    assert verdict.problem is not None
    assert "position 3" in verdict.problem


def test_forgetting_a_person_erases_their_data_and_changes_no_event_row(
    durable_store_url: str, tmp_path: Path
) -> None:
    app = _history(durable_store_url)
    seal(app.recorder, app.side_store, SIGNER)
    before = _sql(durable_store_url, "SELECT * FROM billingcenter_events ORDER BY 1")
    write_export(AuditLog(app.recorder, app.sealer).records(), tmp_path / "before", SIGNER)
    erasure = app.forget("bob")
    assert erasure.keys == 1
    rows = _sql(durable_store_url, "SELECT * FROM billingcenter_events ORDER BY 1")
    assert sorted(row for row in rows if row in before) == sorted(before)
    assert len(rows) == len(before) + 1  # PersonalDataErased, nothing rewritten
    assert (app.user("bob").email, app.user("bob").name) == ("", ERASED)
    assert app.user("alice").email == "alice@example.com"
    assert verify_store(app.recorder, app.side_store, SIGNER.public_pem()).ok
    assert verify_export(tmp_path / "before").ok
    write_export(AuditLog(app.recorder, app.sealer).records(), tmp_path / "after", SIGNER)
    assert verify_export(tmp_path / "after").ok
    text = (tmp_path / "after" / "events.jsonl").read_text()
    assert "bob@example.com" not in text
    assert ERASED in text


def test_a_fresh_process_replays_a_forgotten_person_as_erased(durable_store_url: str) -> None:
    _history(durable_store_url).forget("bob")
    again = center(durable_store_url)
    assert again.user("bob").name == ERASED


def test_personal_data_never_reaches_the_event_table_in_clear(durable_store_url: str) -> None:
    _history(durable_store_url)
    rows = _sql(durable_store_url, "SELECT state FROM billingcenter_events")
    assert not any(b"bob@example.com" in bytes(row[0]) for row in rows)


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_company_export_holds_only_its_events(
    durable_store_url: str, tmp_path: Path, fmt: str
) -> None:
    app = _history(durable_store_url)
    cid = str(app.user("alice").company_id)
    records = AuditLog(app.recorder, app.sealer).records(company_id=cid)
    manifest = write_export(records, tmp_path, SIGNER, fmt="csv" if fmt == "csv" else "jsonl")
    assert manifest["count"] > 0
    assert verify_export(tmp_path).ok
    every = list(AuditLog(app.recorder, app.sealer).records(company_id=cid))
    assert {r.company_id for r in every} == {cid}
    assert {"CompanyEnrolled", "UserJoinedCompany", "InvoiceIssued"} <= {r.type for r in every}
