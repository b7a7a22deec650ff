"""Receipts (I8) over HTTP, on SQLite and PostgreSQL: a payment's receipt proves its
event is in the store's signed chain, verifies with the public key alone, and fails to
verify once the store's row (or the receipt) is changed."""

from __future__ import annotations

import base64
import copy
import hashlib
import io
import json
import sqlite3
import struct
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import psycopg
from pypdf import PdfReader
from typer.testing import CliRunner

from api.cli import cli
from api.export_key import export_signer
from projections.audit.chain import Signer, new_private_pem
from projections.audit.receipts import receipt_document, verify
from tests.e2e.http import World

METHOD = {"holder": "Acme Inc", "bank_code": "COBADEFF", "account_number": "DE8937040044"}


def _paid(world: World, number: str = "INV-R-1", **body: Any) -> tuple[str, dict[str, Any]]:
    assert world.admin.post(f"/v1/companies/{world.cid}/payment-methods", json=METHOD).is_success
    iid = world.issue(world.accounts[0], invoice_number=number)
    paid = world.admin.post(f"/v1/invoices/{iid}/payments", json=body)
    assert paid.status_code == 201, paid.text
    return iid, paid.json()


def _public_key(world: World) -> bytes:
    return export_signer(world.client.app.state.settings).public_pem()  # type: ignore[attr-defined]


def _receipt(world: World, iid: str, pid: str) -> dict[str, Any]:
    response = world.admin.get(f"/v1/invoices/{iid}/payments/{pid}/receipt")
    assert response.status_code == 200, response.text
    document: dict[str, Any] = response.json()
    return document


def test_i8_a_receipt_names_the_payment_and_verifies_with_the_public_key(world: World) -> None:
    iid, paid = _paid(world)
    document = _receipt(world, iid, paid["payment_id"])
    facts = document["receipt"]
    assert facts["invoice_id"] == iid
    assert facts["invoice_number"] == "INV-R-1"
    assert facts["confirmation_number"] == paid["confirmation_number"]
    assert facts["status"] == "PAID"
    assert facts["currency"] == "USD"
    assert facts["paid_by"] == "alice"
    assert facts["payment_method"]["account_number"] == "****0044"
    assert "DE8937040044" not in orjson.dumps(document).decode()  # R11: masked
    assert verify(document, _public_key(world)).ok


def test_i8_a_changed_receipt_or_another_key_fails(world: World) -> None:
    iid, paid = _paid(world)
    document = _receipt(world, iid, paid["payment_id"])
    for field, value in (("amount", "1.00"), ("paid_by", "mallory"), ("currency", "EUR")):
        forged = copy.deepcopy(document)
        forged["receipt"][field] = value
        assert verify(forged, _public_key(world)).problem == (
            f"the receipt's {field} differs from the proven event"
        )
    other = Signer(new_private_pem()).public_pem()
    assert verify(document, other).problem == "signed by another key than the one given"
    forged = copy.deepcopy(document)
    forged["proof"]["events"][1]["previous"] = "00" * 32
    assert "not in the signed chain" in str(verify(forged, _public_key(world)).problem)


def test_i8_a_receipt_from_a_tampered_store_fails_to_verify(world: World) -> None:
    iid, paid = _paid(world)
    before = _receipt(world, iid, paid["payment_id"])  # seals the chain over the payment
    position = before["proof"]["events"][1]["event"]["position"]
    _edit_amount(world.client.app.state.settings.database_url, position)  # type: ignore[attr-defined]
    after = world.admin.get(f"/v1/invoices/{iid}/payments/{paid['payment_id']}/receipt").json()
    verdict = verify(after, _public_key(world))
    assert verdict.problem == f"the event at position {position} is not in the signed chain"
    assert verify(before, _public_key(world)).ok  # a receipt, once given, stands alone


def _edit_amount(url: str, position: int) -> None:
    """What a DBA could do: the payment's stored amount changed in place."""
    if url.startswith("sqlite"):
        with sqlite3.connect(url.removeprefix("sqlite:///")) as connection:
            connection.execute(
                "UPDATE stored_events SET state = CAST(replace(CAST(state AS TEXT),"
                ' \'"_data_":"\', \'"_data_":"9\') AS BLOB) WHERE rowid = ?',
                (position,),
            )
        return
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute(
            "UPDATE billingcenter_events SET state = convert_to(replace(convert_from(state,"
            " 'UTF8'), '\"_data_\":\"', '\"_data_\":\"9'), 'UTF8') WHERE notification_id = %s",
            (position,),
        )


def test_i8_a_scheduled_payment_has_a_receipt_too(world: World) -> None:
    later = (datetime.now(UTC).date() + timedelta(days=3)).isoformat()
    iid, paid = _paid(world, "INV-R-2", pay_on=later)
    document = _receipt(world, iid, paid["payment_id"])
    assert document["receipt"]["status"] == "SCHEDULED"
    assert document["receipt"]["date"] == later
    assert verify(document, _public_key(world)).ok


def test_r4_only_who_may_see_the_invoice_gets_its_receipt(world: World) -> None:
    iid, paid = _paid(world)
    outsider = world.add_user("bob", "VIEW_ONLY", world.accounts[1])
    url = f"/v1/invoices/{iid}/payments/{paid['payment_id']}/receipt"
    assert outsider.get(url).status_code == 404
    viewer = world.add_user("carol", "VIEW_ONLY", world.accounts[0])
    assert viewer.get(url).status_code == 200
    assert world.admin.get(f"/v1/invoices/{iid}/payments/nope/receipt").status_code == 404


def test_i8_the_pdf_prints_the_receipt_and_carries_its_json(world: World) -> None:
    iid, paid = _paid(world)
    response = world.admin.get(
        f"/v1/invoices/{iid}/payments/{paid['payment_id']}/receipt",
        headers={"Accept": "application/pdf"},
    )
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert "attachment" in response.headers["content-disposition"]
    text = PdfReader(io.BytesIO(response.content)).pages[0].extract_text()
    assert paid["confirmation_number"] in text
    assert "****0044" in text
    assert verify(receipt_document(response.content), _public_key(world)).ok


def test_i8_the_cli_verifies_a_receipt_with_the_public_key_alone(
    world: World, tmp_path: Path
) -> None:
    iid, paid = _paid(world)
    document = _receipt(world, iid, paid["payment_id"])
    receipt = tmp_path / "receipt.json"
    receipt.write_bytes(orjson.dumps(document))
    key = tmp_path / "public.pem"
    key.write_bytes(_public_key(world))
    env = {"BILLING_ENV": "development"}
    result = CliRunner().invoke(
        cli, ["audit", "verify-receipt", str(receipt), "--public-key", str(key)], env=env
    )
    assert result.exit_code == 0, result.output
    assert f"verified receipt {paid['confirmation_number']}" in result.output
    document["receipt"]["amount"] = "0.01"
    receipt.write_bytes(orjson.dumps(document))
    result = CliRunner().invoke(
        cli, ["audit", "verify-receipt", str(receipt), "--public-key", str(key)], env=env
    )
    assert result.exit_code == 1
    assert "amount differs" in result.output


def _by_the_readme(document: dict[str, Any], public_pem: bytes) -> bool:
    """README "Receipts", steps 1-5, written from the text alone (no service code)."""
    from cryptography.hazmat.primitives.serialization import load_pem_public_key  # noqa: PLC0415

    receipt, proof = document["receipt"], document["proof"]
    ok = proof["public_key_sha256"] == hashlib.sha256(public_pem).hexdigest()
    key: Any = load_pem_public_key(public_pem)
    for entry in proof["events"]:
        e = entry["event"]
        aggregate, topic = e["aggregate"].encode(), e["topic"].encode()
        row = (
            struct.pack(">QQI", e["position"], e["version"], len(aggregate)) + aggregate
            + struct.pack(">I", len(topic)) + topic + base64.b64decode(e["state"])
        )  # fmt: skip
        digest = hashlib.sha256(row).digest()
        head = hashlib.sha256(bytes.fromhex(entry["previous"]) + digest).hexdigest()
        statement = f"billing-center store chain {e['position']} {head}"
        ok = ok and digest.hex() == entry["row_hash"] and head == entry["head"]
        ok = ok and statement == entry["statement"]
        key.verify(base64.b64decode(entry["signature"]), statement.encode())  # raises if bad
    issued, paid = (json.loads(base64.b64decode(x["event"]["state"])) for x in proof["events"])
    ok = ok and (issued["invoice_number"], issued["currency"]) == (
        receipt["invoice_number"], receipt["currency"]
    )  # fmt: skip
    return ok and (paid["payment_id"], paid["amount"]["_data_"]) == (
        receipt["payment_id"], receipt["amount"]
    )  # fmt: skip


def test_i8_the_readme_procedure_alone_verifies_a_receipt(world: World) -> None:
    iid, paid = _paid(world)
    document = _receipt(world, iid, paid["payment_id"])
    assert _by_the_readme(document, _public_key(world))
    document["receipt"]["amount"] = "0.01"
    assert not _by_the_readme(document, _public_key(world))


def test_i8_the_console_offers_each_payment_s_receipt(world: World) -> None:
    iid, paid = _paid(world)
    world.admin.get(f"/v1/invoices/{iid}")  # the read models have the payment (min_position)
    client = world.client
    client.cookies.clear()
    page = client.get("/console/sign-in").text
    csrf = page.split('name="csrf_token" value="')[1].split('"', maxsplit=1)[0]
    signed = client.post("/console/sign-in", data={"csrf_token": csrf, "login": "alice"},
                         headers={"Origin": "http://testserver"})  # fmt: skip
    assert signed.status_code == 200
    link = f"/console/invoices/{iid}/payments/{paid['payment_id']}/receipt"
    assert f'href="{link}.pdf"' in client.get(f"/console/invoices/{iid}").text
    pdf = client.get(f"{link}.pdf")
    assert pdf.headers["content-type"] == "application/pdf"
    assert verify(receipt_document(pdf.content), _public_key(world)).ok
    assert verify(client.get(f"{link}.json").json(), _public_key(world)).ok
    assert client.get(f"{link}.exe").status_code == 404
