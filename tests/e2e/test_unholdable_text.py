"""Issue 17: events an older version stored with text PostgreSQL cannot hold (a NUL in a
name, a description, a comment) still project; the read models show U+FFFD in its place,
the store keeps the event as it was, and later writes stay visible with `min_position`."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from api.tokens import Scope
from tests.e2e.http import As, World, enroll, invoice_body, running
from tests.old_versions import MARK, NUL, storing_as_an_old_version

SHOWN = "\ufffd"


@pytest.fixture
def world(postgres_url: str, tmp_path: Path) -> Iterator[World]:
    """Acme on PostgreSQL (the database that cannot hold a NUL in text)."""
    with running(postgres_url, str(tmp_path)) as client:
        yield enroll(client)


def _as_stored(world: World) -> Any:
    return storing_as_an_old_version(world.client.app.state.billing_center)  # type: ignore[attr-defined]


def _later_write_is_visible(world: World) -> None:
    """Nothing stalls behind the event: a normal write after it reads back at once."""
    world.add_user("zoe", "VIEW_ONLY")
    response = world.admin.get(f"/v1/companies/{world.cid}/users/zoe")
    assert response.status_code == 200, response.text


def test_a_company_name_with_a_nul_reads_back_with_a_replacement_character(world: World) -> None:
    with _as_stored(world):
        body = {"name": f"Acme{MARK}Ltd", "address": "1 Main St"}
        assert world.admin.put(f"/v1/companies/{world.cid}", json=body).status_code == 200
    response = world.admin.get(f"/v1/companies/{world.cid}")
    assert response.status_code == 200, response.text
    assert response.json()["name"] == f"Acme{SHOWN}Ltd"
    me = world.admin.get("/v1/me")  # the same company, named as every read shows it
    assert me.status_code == 200, me.text
    assert me.json()["company"]["name"] == f"Acme{SHOWN}Ltd"
    _later_write_is_visible(world)


def test_a_user_name_with_a_nul_reads_back_with_a_replacement_character(world: World) -> None:
    body = {"login": "bob", "email": "bob@acme.test", "name": f"Bob{MARK}", "role": "VIEW_ONLY"}
    with _as_stored(world):
        response = world.admin.post(f"/v1/companies/{world.cid}/users", json=body)
    assert response.status_code == 201, response.text
    user = world.admin.get(f"/v1/companies/{world.cid}/users/bob")
    assert user.status_code == 200, user.text
    assert user.json()["name"] == f"Bob{SHOWN}"
    _later_write_is_visible(world)


def test_a_line_description_with_a_nul_reads_back_with_a_replacement_character(
    world: World,
) -> None:
    invoice = invoice_body(world.accounts[0])
    invoice["lines"][0]["description"] = f"Ground{MARK}"
    with _as_stored(world):
        response = world.billing.post("/v1/invoices", json=invoice)
    assert response.status_code == 201, response.text
    detail = world.admin.get(f"/v1/invoices/{response.json()['invoice_id']}")
    assert detail.status_code == 200, detail.text
    assert detail.json()["lines"][0]["description"] == f"Ground{SHOWN}"
    _later_write_is_visible(world)


def _unenroll_with_a_nul_comment(world: World) -> None:
    body = {"accounts": [world.accounts[0]], "reason": "OTHER", "comment": f"moved{MARK}away"}
    with _as_stored(world):
        response = world.admin.post(f"/v1/companies/{world.cid}/unenrollment", json=body)
    assert response.status_code == 200, response.text


def _auditor(world: World) -> As:
    return As(world.client, "ada", Scope.AUDITOR, seen=world.admin.seen)


def test_an_unenrollment_comment_with_a_nul_reads_back_with_a_replacement_character(
    world: World,
) -> None:
    _unenroll_with_a_nul_comment(world)
    _later_write_is_visible(world)
    reads = world.client.app.state.read_models  # type: ignore[attr-defined]
    trail = reads.audit_events(types=["AccountUnenrolled"]).items
    assert [e.payload["comment"] for e in trail] == [f"moved{SHOWN}away"]
    assert f"comment=moved{SHOWN}away" in trail[0].summary


def test_the_export_carries_the_stored_nul_exactly(world: World) -> None:
    _unenroll_with_a_nul_comment(world)
    response = _auditor(world).get("/v1/audit/export", params={"format": "jsonl"})
    assert response.status_code == 200, response.text
    lines = zipfile.ZipFile(io.BytesIO(response.content)).read("events.jsonl").splitlines()
    records = [json.loads(line) for line in lines]
    comments = [r["payload"]["comment"] for r in records if r["type"] == "AccountUnenrolled"]
    assert comments == [f"moved{NUL}away"]
