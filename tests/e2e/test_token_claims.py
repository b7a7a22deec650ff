"""The API and the console apply the configured token rules (issue 18): the longest
lifetime, and `iss`/`aud` when configured."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.tokens import issue_token
from tests.e2e.http import SECRET, running

AUDIENCE = "billing-center"


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    with running(
        f"sqlite:///{tmp_path}/store.sqlite", str(tmp_path), jwt_audience=AUDIENCE
    ) as started:
        yield started


def _me(client: TestClient, token: str) -> int:
    return client.get("/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code


def test_a_token_for_the_configured_audience_is_accepted(client: TestClient) -> None:
    assert _me(client, issue_token(SECRET, "alice", audience=AUDIENCE)) == 200


def test_a_token_for_another_audience_or_none_is_refused(client: TestClient) -> None:
    assert _me(client, issue_token(SECRET, "alice", audience="another")) == 401
    assert _me(client, issue_token(SECRET, "alice")) == 401


def test_a_token_valid_for_more_than_a_day_is_refused(client: TestClient) -> None:
    week = issue_token(SECRET, "alice", audience=AUDIENCE, ttl_seconds=7 * 24 * 3600)
    assert _me(client, week) == 401
    listed = f"/v1/companies/{'0' * 8}-0000-0000-0000-{'0' * 12}/invoices"  # the hottest route
    response = client.get(listed, headers={"Authorization": f"Bearer {week}"})
    assert response.status_code == 401


def test_the_development_sign_in_mints_a_token_the_service_accepts(client: TestClient) -> None:
    page = client.get("/console/sign-in")
    csrf = page.text.split('name="csrf_token" value="')[1].split('"')[0]
    form = {"csrf_token": csrf, "login": "alice"}
    signed = client.post("/console/sign-in", data=form, headers={"Origin": "http://testserver"})
    assert signed.status_code == 200
    assert signed.url.path == "/console/enroll"  # signed in: a person in no company enrolls
