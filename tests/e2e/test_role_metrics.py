"""Issue 20 item 5: the roles that run apart from `serve` (`projections run`, `mail send`,
`webhooks run`) serve their own series on `--metrics-port`: here the sender's delivery
failures, which no other process counts, from a real `mail send` process."""

from __future__ import annotations

import time
from pathlib import Path

import httpx2 as httpx
import pytest
from fastapi.testclient import TestClient

from api.http.app import create_app
from projections.runner import MESSAGES, Runner
from store.database import open_database
from tests.e2e.http import enroll, invoice_body, settings_for
from tests.e2e.test_metrics import value
from tests.postgres import free_port
from tests.reliability.service import Role, service_env

pytestmark = pytest.mark.postgres
WAIT_SECONDS = 30


def _outbox_with_mail(url: str, home: Path) -> None:
    """An invoice for a company's admin to hear of, projected into the outbox; no sender
    runs here (`BILLING_PROJECTIONS=external`)."""
    settings = settings_for(url, str(home)).model_copy(update={"projections": "external"})
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        center = client.app.state.billing_center  # type: ignore[attr-defined]
        db = open_database(url)
        try:
            world = enroll(client, projected=False)
            Runner(db, center).catch_up()
            posted = world.billing.post("/v1/invoices", json=invoice_body(world.accounts[0]))
            assert posted.status_code == 201, posted.text
            Runner(db, center).catch_up()
            with db.read() as tx:
                assert MESSAGES.backlog(tx) > 0, "no e-mail waits in the outbox"
        finally:
            db.close()


def _failures(port: int) -> float:
    text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
    return value(text, "billing_mail_delivery_failures_total", kind="transient")


def test_the_sender_serves_its_delivery_failures_on_its_own_metrics_port(
    postgres_url: str, tmp_path: Path
) -> None:
    _outbox_with_mail(postgres_url, tmp_path)
    port, nobody = free_port(), free_port()  # nothing listens on `nobody`: SMTP refused
    env = service_env(postgres_url, tmp_path, "production") | {
        "BILLING_SMTP_URL": f"smtp://127.0.0.1:{nobody}"
    }
    sender = Role(("mail", "send", "--metrics-port", str(port)), env, tmp_path / "mail.log")
    sender.start()
    try:
        deadline, failures = time.monotonic() + WAIT_SECONDS, 0.0
        while failures < 1 and time.monotonic() < deadline:
            time.sleep(0.2)
            try:
                failures = _failures(port)
            except (httpx.TransportError, KeyError, ValueError):
                continue  # not listening yet, or nothing failed yet
        assert failures >= 1, (tmp_path / "mail.log").read_text()[-3000:]
    finally:
        sender.stop()


def test_a_projections_worker_serves_its_own_pools_on_its_metrics_port(
    postgres_url: str, tmp_path: Path
) -> None:
    port = free_port()
    args = ("projections", "run", "--metrics-port", str(port))
    worker = Role(args, service_env(postgres_url, tmp_path), tmp_path / "worker.log").start()
    try:
        deadline, text = time.monotonic() + WAIT_SECONDS, ""
        while "billing_db_pool_max_connections" not in text and time.monotonic() < deadline:
            time.sleep(0.2)
            try:
                text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
            except httpx.TransportError:
                continue  # not listening yet
        assert value(text, "billing_db_pool_max_connections", pool="write") > 0, text[-2000:]
        assert "process_cpu_seconds_total" in text  # the process's own, not serve's
    finally:
        worker.stop()
