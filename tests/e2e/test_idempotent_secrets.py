"""An `Idempotency-Key` retry of a creation that shows a secret once (issue 22 item 3): the
API key or the webhook endpoint is created once, and the retry answers the same body, the
secret included; the kept answer is sealed with the service's data key (AES-256-GCM), so
the idempotency table never holds the secret in clear."""

from __future__ import annotations

import secrets
from typing import Any

import httpx2 as httpx
import pytest

from store.keys import AesGcmSecretBox
from tests.e2e.http import World

CREATIONS = [
    ("api-keys", {"name": "ERP", "role": "VIEW_ONLY", "accounts": []}, "key"),
    ("webhooks", {"url": "https://erp.example/hooks", "events": ["invoice.available"]}, "secret"),
]


def _create(world: World, what: str, body: dict[str, Any], key: str) -> httpx.Response:
    path = f"/v1/companies/{world.cid}/{what}"
    return world.admin.post(path, json=body, headers={"Idempotency-Key": key})


@pytest.mark.parametrize(("what", "body", "secret"), CREATIONS, ids=["api-key", "webhook"])
def test_a_retried_creation_answers_the_same_secret_and_creates_one(
    world: World, what: str, body: dict[str, Any], secret: str
) -> None:
    first = _create(world, what, body, "create-once")
    again = _create(world, what, body, "create-once")
    assert first.status_code == 201, first.text
    assert again.status_code == 201
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json() == first.json()
    assert again.json()[secret]
    listed = world.admin.get(f"/v1/companies/{world.cid}/{what}").json()["items"]
    assert len(listed) == 1


@pytest.mark.parametrize(("what", "body", "secret"), CREATIONS, ids=["api-key", "webhook"])
def test_the_kept_answer_holds_no_secret_in_clear(
    world: World, what: str, body: dict[str, Any], secret: str
) -> None:
    shown = _create(world, what, body, "kept-sealed").json()[secret]
    kept = world.client.app.state.idempotency  # type: ignore[attr-defined]
    assert kept.redact([shown], "x") == 0  # no kept answer holds the text of the secret


def test_a_replayed_api_key_works(world: World) -> None:
    body = CREATIONS[0][1]
    _create(world, "api-keys", body, "replayed-key")
    key = _create(world, "api-keys", body, "replayed-key").json()["key"]
    answer = world.client.get("/v1/me", headers={"Authorization": f"Bearer {key}"})
    assert answer.status_code == 200, answer.text


def test_an_answer_sealed_under_another_data_key_is_a_conflict_not_a_500(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    body = CREATIONS[0][1]
    assert _create(world, "api-keys", body, "rotated").status_code == 201
    center = world.client.app.state.billing_center  # type: ignore[attr-defined]
    monkeypatch.setattr(center, "secret_box", AesGcmSecretBox(secrets.token_bytes(32)))
    again = _create(world, "api-keys", body, "rotated")
    assert again.status_code == 409
    assert again.headers["content-type"] == "application/problem+json"
