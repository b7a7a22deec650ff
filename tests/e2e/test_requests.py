"""Requests as API.md bounds them: idempotency keys, limits, malformed input, paging."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.e2e.http import World, enroll, invoice_body, new_account, running


def _method(world: World, key: str, holder: str = "Acme") -> tuple[int, dict[str, str], bytes]:
    response = world.admin.post(
        f"/v1/companies/{world.cid}/payment-methods",
        json={"holder": holder, "bank_code": "021", "account_number": "12345678"},
        headers={"Idempotency-Key": key},
    )
    return response.status_code, dict(response.headers), response.content


def test_the_same_key_and_body_replays_the_first_answer_and_changes_nothing(world: World) -> None:
    first = _method(world, "k-1")
    again = _method(world, "k-1")
    assert (again[0], again[2]) == (first[0], first[2])
    assert again[1]["x-position"] == first[1]["x-position"]
    methods = world.admin.get(f"/v1/companies/{world.cid}/payment-methods").json()["items"]
    assert len(methods) == 1


def test_the_same_key_with_another_body_is_422(world: World) -> None:
    _method(world, "k-2")
    status, _, body = _method(world, "k-2", holder="Other")
    assert status == 422
    assert b"Idempotency" in body


def test_keys_are_scoped_per_caller(api: TestClient) -> None:
    acme = enroll(api, "alice")
    beta = enroll(api, "zed", accounts=1)
    assert _method(acme, "shared")[0] == 201
    assert _method(beta, "shared")[0] == 201


def test_a_replay_survives_a_restart(durable_store_url: str, tmp_path: str) -> None:
    with running(durable_store_url, str(tmp_path)) as client:
        world = enroll(client)
        first = _method(world, "k-3")
    with running(durable_store_url, str(tmp_path)) as client:
        world.client = client
        world.admin.client = client
        again = _method(world, "k-3")
    assert again[2] == first[2]


def test_a_body_over_one_megabyte_is_413(world: World) -> None:
    big = {"name": "x" * (1024 * 1024 + 1), "accounts": []}
    response = world.admin.post("/v1/companies", json=big)
    assert response.status_code == 413


def test_malformed_or_deeply_nested_json_is_422(world: World) -> None:
    headers = {**world.admin.headers, "Content-Type": "application/json"}
    for body in (b"{not json", b"[" * 5000 + b"]" * 5000):
        response = world.client.post("/v1/invoices", content=body, headers=headers)
        assert response.status_code == 422, response.text


def test_unknown_fields_and_bad_values_are_422_with_field_details(world: World) -> None:
    body = invoice_body(new_account())
    body["amount"] = "1.234"
    body["issue_date"] = "25/01/2025"
    body["extra"] = True
    response = world.billing.post("/v1/invoices", json=body)
    assert response.status_code == 422
    fields = {tuple(e["loc"]) for e in response.json()["errors"]}
    assert {("body", "amount"), ("body", "issue_date"), ("body", "extra")} <= fields


def test_an_invalid_company_id_or_account_path_is_422(world: World) -> None:
    assert world.admin.get("/v1/companies/not-a-uuid").status_code == 422
    url = f"/v1/companies/{world.cid}/accounts/us-1/autopay"
    assert world.admin.put(url, json={"days_before_due": 1}).status_code == 422


def test_limit_is_bounded_and_cursor_pages_through(world: World) -> None:
    for _ in range(3):
        world.issue(world.accounts[0])
    url = f"/v1/companies/{world.cid}/invoices"
    for bad in ("0", "501", "x"):
        assert world.admin.get(url, params={"limit": bad}).status_code == 422
    first = world.admin.get(url, params={"limit": 2}).json()
    assert len(first["items"]) == 2
    rest = world.admin.get(url, params={"limit": 2, "cursor": first["next"]}).json()
    assert len(rest["items"]) == 1
    assert rest["next"] is None
    assert world.admin.get(url, params={"cursor": "garbage"}).status_code == 422


def test_min_position_waits_for_the_write_and_refuses_nonsense(world: World) -> None:
    url = f"/v1/companies/{world.cid}"
    assert world.admin.get(url, params={"min_position": "-1"}).status_code == 422
    assert world.admin.get(url, params={"min_position": "abc"}).status_code == 422


def test_min_position_beyond_the_store_is_503_with_retry_after(world: World) -> None:
    response = world.client.get(
        f"/v1/companies/{world.cid}",
        params={"min_position": 10**9},
        headers=world.admin.headers,
    )
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "1"


def test_an_unknown_path_is_a_problem(world: World) -> None:
    response = world.admin.get("/v1/nothing-here")
    assert response.status_code == 404
    assert response.headers["Content-Type"] == "application/problem+json"
