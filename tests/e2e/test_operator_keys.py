"""Operators' keys (issue 22 item 2): `billing-center keys create/list/revoke` for the
`billing-system` and `auditor` principals, on the store the service uses; a key revoked by
the command is refused by the running service on its next request."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.cli import cli
from tests.e2e.http import SECRET, invoice_body, new_account, running


@pytest.fixture
def store(durable_store_url: str, tmp_path: Path) -> Iterator[tuple[TestClient, dict[str, str]]]:
    """The running service and the environment that points the command at its store."""
    env = {
        "BILLING_ENV": "development",
        "BILLING_DATABASE_URL": durable_store_url,
        "BILLING_JWT_SECRET": SECRET,
        "BILLING_DATA_KEY": str(tmp_path / "keys" / "data.key"),
        "BILLING_EXPORT_KEY": str(tmp_path / "keys" / "export.pem"),
    }
    with running(durable_store_url, str(tmp_path)) as client:
        yield client, env


def keys(env: dict[str, str], *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["keys", *args], env=env)
    return result.exit_code, result.stdout.strip(), result.stderr


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def test_a_billing_system_key_issues_invoices_until_revoked(
    store: tuple[TestClient, dict[str, str]],
) -> None:
    client, env = store
    code, key, err = keys(env, "create", "--scope", "billing-system", "--name", "ledger")
    assert code == 0, err
    key_id = err.split("key id: ")[1].split()[0]
    issued = client.post("/v1/invoices", json=invoice_body(new_account()), headers=bearer(key))
    assert issued.status_code == 201, issued.text
    code, listed, _ = keys(env, "list")
    assert key_id in listed
    assert "billing-system" in listed
    assert key not in listed
    assert keys(env, "revoke", key_id)[0] == 0
    again = client.post("/v1/invoices", json=invoice_body(new_account()), headers=bearer(key))
    assert again.status_code == 401
    assert key_id not in keys(env, "list")[1]


def test_an_auditor_key_reads_the_event_log_and_is_named_in_it(
    store: tuple[TestClient, dict[str, str]],
) -> None:
    client, env = store
    code, key, err = keys(env, "create", "--scope", "auditor", "--name", "audit firm")
    assert code == 0, err
    key_id = err.split("key id: ")[1].split()[0]
    log = client.get("/v1/audit/events", headers=bearer(key), params={"limit": 500})
    assert log.status_code == 200, log.text
    issued = [e for e in log.json()["items"] if e["type"] == "ApiKeyIssued"]
    assert issued
    assert issued[0]["actor"].startswith("operator:")
    body = invoice_body(new_account())
    assert client.post("/v1/invoices", json=body, headers=bearer(key)).status_code == 403
    assert key_id


def test_revoking_an_unknown_key_fails(store: tuple[TestClient, dict[str, str]]) -> None:
    _, env = store
    code, _, err = keys(env, "revoke", "0" * 32)
    assert code == 1
    assert "not found" in err.lower() or "api key" in err.lower()
