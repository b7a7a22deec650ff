"""API.md, Status codes: an idempotent retry is "the same body" when its JSON is (issue 17).

Clients re-serialise a body on retry: other whitespace or key order is the same request.
"""

from __future__ import annotations

import json

from tests.e2e.http import World


def _add_method(world: World, key: str, body: bytes) -> tuple[int, bytes]:
    headers = {"Idempotency-Key": key, "Content-Type": "application/json"}
    response = world.admin.post(
        f"/v1/companies/{world.cid}/payment-methods", content=body, headers=headers
    )
    return response.status_code, response.content


def test_a_retry_with_reordered_keys_and_other_whitespace_replays(world: World) -> None:
    method = {"holder": "Acme", "bank_code": "021", "account_number": "12345678"}
    first = _add_method(world, "same-json", json.dumps(method).encode())
    reordered = dict(reversed(method.items()))
    again = _add_method(world, "same-json", json.dumps(reordered, indent=4).encode())
    assert again == first
    methods = world.admin.get(f"/v1/companies/{world.cid}/payment-methods").json()["items"]
    assert len(methods) == 1


def test_a_retry_with_other_json_values_is_still_refused(world: World) -> None:
    method = {"holder": "Acme", "bank_code": "021", "account_number": "12345678"}
    _add_method(world, "other-json", json.dumps(method).encode())
    status, body = _add_method(world, "other-json", json.dumps({**method, "holder": "B"}).encode())
    assert status == 422
    assert b"Idempotency" in body
