"""Event schema evolution: a version 1 UserAdded, stored before grants existed, still replays."""

from __future__ import annotations

from contextlib import closing
from dataclasses import replace
from pathlib import Path
from uuid import UUID

import pytest
from eventsourcing.persistence import StoredEvent

from api.bootstrap import billing_center as service
from api.settings import Settings
from domain.application import BillingCenter
from domain.company import Company
from domain.values import Role
from projections.audit.privacy import PersonalDataMapper
from projections.events import decode
from projections.runner import RowsRecorder, Runner
from store.database import open_database
from store.url import eventsourcing_env
from tests.builders import (
    ACCOUNT,
    ADMIN,
    FixedClock,
    add_payment_method,
    add_user,
    bill,
    billing_center,
    enrolled_company,
    issue,
    person,
)


def as_version_1(app: BillingCenter, stored: StoredEvent) -> StoredEvent:
    """The same UserAdded as version 1 wrote it: no class_version, no accounts (v2) and no
    added_by (v3, issue 24)."""
    fields = app.mapper.transcoder.decode(stored.state)
    assert fields.pop("class_version") == 3
    del fields["accounts"]
    del fields["added_by"]
    return replace(stored, state=app.mapper.transcoder.encode(fields))


def with_version_1_bob(app: BillingCenter) -> UUID:
    """A company whose user bob was added by a version 1 UserAdded, as stored back then."""
    company = enrolled_company(app)
    aggregate = app.company(company)
    aggregate.add_user(ADMIN, "bob", Role.VIEW_ONLY)
    app.recorder.insert_events(
        [as_version_1(app, app.mapper.to_stored_event(aggregate.collect_events()[0]))]
    )
    return company


def test_a_version_1_user_added_replays_with_no_accounts(store_url: str) -> None:
    """R5: UserAdded v1 carried no grants; upcast to v2 it grants nothing."""
    env = eventsourcing_env(store_url)
    writer = billing_center(env)
    try:
        company = enrolled_company(writer)
        aggregate = writer.company(company)
        aggregate.add_user(ADMIN, "bob", Role.VIEW_ONLY)
        event = aggregate.collect_events()[0]
        assert isinstance(event, Company.UserAdded)
        old = as_version_1(writer, writer.mapper.to_stored_event(event))
        writer.recorder.insert_events([old])
        assert b"accounts" not in old.state
        replayed: Company = writer.repository.get(company, version=aggregate.version)
        assert (replayed.roles["bob"], replayed.grants["bob"]) == ("VIEW_ONLY", [])
        assert not replayed.is_pending("bob")  # R5: nothing was pending before issue 24
    finally:
        writer.close()


def test_a_company_with_a_version_1_user_added_takes_new_commands(durable_store_url: str) -> None:
    """R5: a fresh billing center on the store loads the upcast company and acts on it."""
    env = eventsourcing_env(durable_store_url)
    with closing(billing_center(env)) as writer:
        company = with_version_1_bob(writer)
    with closing(billing_center(env)) as reader:
        add_user(reader, company, "carol", Role.VIEW_ONLY)
        assert reader.company(company).grants == {ADMIN: [], "bob": [], "carol": []}


def test_the_projections_decode_every_event_as_the_library_mapper_does(
    durable_store_url: str,
) -> None:
    """Issue 4: the runner's own reading (plain rows, records made from the transcoded
    state) gives the records the library's mapper gives, a version 1 UserAdded upcast."""
    env = eventsourcing_env(durable_store_url)
    app, db = billing_center(env), open_database(durable_store_url)
    try:
        company = with_version_1_bob(app)
        add_user(app, company, "carol", Role.VIEW_PAY, (ACCOUNT,))
        add_payment_method(app, company)
        app.pay_invoice(person(ADMIN), issue(app, bill()))
        if durable_store_url.startswith("postgres"):
            assert isinstance(app.recorder, RowsRecorder), "PostgreSQL reads plain rows"
        records = Runner(db, app).read(0)
        notes = app.recorder.select_notifications(1, 1000)
        assert records == [decode(n, app.mapper) for n in notes]
        assert {r.data["login"]: r.data["accounts"] for r in records if r.type == "UserAdded"} == {
            "bob": [],
            "carol": [str(ACCOUNT)],
        }
        assert {r.type for r in records} >= {"InvoiceIssued", "PaymentMade", "CompanyEnrolled"}
    finally:
        db.close()
        app.close()


def test_the_projections_read_personal_data_opened_as_the_service_mapper_does(
    durable_store_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """C4 and issue 4: the service's mapper seals e-mails and names in the store; the
    projections' own decoding leaves those events to it, so the read models get them open."""
    monkeypatch.setenv("BILLING_ENV", "development")
    monkeypatch.setenv("BILLING_DATABASE_URL", durable_store_url)
    monkeypatch.setenv("BILLING_DATA_KEY", str(tmp_path / "data.key"))
    app, db = service(Settings(), clock=FixedClock()), open_database(durable_store_url)
    try:
        add_user(app, enrolled_company(app), "carol", Role.VIEW_PAY, (ACCOUNT,))
        assert isinstance(app.mapper, PersonalDataMapper)
        records = Runner(db, app).read(0)
        assert records == [decode(n, app.mapper) for n in app.recorder.select_notifications(1, 99)]
        emails = [r.data["email"] for r in records if r.type == "UserJoinedCompany"]
        assert "carol@example.com" in emails
        stored = app.recorder.select_notifications(1, 99)
        assert any(b"pii:v1:" in n.state for n in stored), "sealed in the store"
    finally:
        db.close()
        app.close()
