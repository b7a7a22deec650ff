"""Issue 20 item 1: three roles, one binary. With `BILLING_PROJECTIONS=external`, `serve`
only answers HTTP: the read models are kept by `projections run` workers (here a runner in
the test) and the e-mails sent by `billing-center mail send`."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.cli import cli
from api.http.app import create_app
from projections.runner import Runner
from store.database import open_database
from tests.e2e.http import SECRET, enroll, settings_for


@pytest.fixture
def external(durable_store_url: str, tmp_path: Path) -> Iterator[TestClient]:
    settings = settings_for(durable_store_url, str(tmp_path))
    settings = settings.model_copy(update={"projections": "external"})
    with TestClient(create_app(settings), raise_server_exceptions=False) as started:
        yield started


def _roles_running() -> set[str]:
    return {t.name for t in threading.enumerate()} & {"projections", "mail-sender"}


def test_serve_with_external_projections_runs_no_projection_and_no_sender(
    external: TestClient, durable_store_url: str
) -> None:
    assert not _roles_running()
    world = enroll(external, projected=False)  # nobody projects until the runner below
    health = external.get("/health").json()
    assert all(p["lag"] > 0 for p in health["projections"]), "nobody applied the writes"
    center = external.app.state.billing_center  # type: ignore[attr-defined]
    db = open_database(durable_store_url)
    try:
        Runner(db, center).catch_up()  # what a `projections run` worker does
    finally:
        db.close()
    company = world.admin.get(f"/v1/companies/{world.cid}")
    assert company.status_code == 200, company.text
    assert company.json()["name"] == "Acme"
    assert all(p["lag"] == 0 for p in external.get("/health").json()["projections"])


def test_mail_send_is_the_sender_role(
    durable_store_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BILLING_ENV", "development")
    monkeypatch.setenv("BILLING_DATABASE_URL", durable_store_url)
    monkeypatch.setenv("BILLING_JWT_SECRET", SECRET)
    monkeypatch.setenv("BILLING_DATA_KEY", str(tmp_path / "keys" / "data.key"))
    monkeypatch.chdir(tmp_path)  # development e-mails go to ./var/outbox
    result = CliRunner().invoke(cli, ["mail", "send", "--once"])
    assert result.exit_code == 0, result.output
    assert "settled 0 outbox rows" in result.output
