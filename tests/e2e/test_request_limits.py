"""Issue 17, API.md Values (limits), through the whole app: authentication is decided
before the body is read; a JSON body is at most 64 KiB; only the billing system's document
upload takes up to 10 MB (I7)."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.e2e.http import World

TEN_MB = 10 * 1024 * 1024


def test_ten_megabytes_without_a_token_are_401(api: TestClient) -> None:
    response = api.post("/v1/companies", content=b"[" * TEN_MB)
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["www-authenticate"].startswith("Bearer")


def test_a_100_kib_json_body_with_a_valid_token_is_413(world: World) -> None:
    body = {"name": "x" * 100 * 1024}
    response = world.admin.put(f"/v1/companies/{world.cid}", json=body)
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"


def test_a_document_over_ten_megabytes_is_413(world: World) -> None:
    invoice = world.issue(world.accounts[0])
    pdf = b"%PDF-1.4\n" + b"0" * TEN_MB
    files = {"file": ("big.pdf", pdf, "application/pdf")}
    response = world.billing.post(f"/v1/invoices/{invoice}/documents", files=files)
    assert response.status_code == 413


def test_a_document_from_a_person_is_403_i7(world: World) -> None:
    invoice = world.issue(world.accounts[0])
    files = {"file": ("a.pdf", b"%PDF-1.4\n", "application/pdf")}
    response = world.admin.post(f"/v1/invoices/{invoice}/documents", files=files)
    assert response.status_code == 403
    assert response.json()["rule"] == "I7"
