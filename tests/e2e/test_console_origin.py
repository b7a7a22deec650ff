"""Console forms refuse other sites (login CSRF and CSRF, issue 18).

Every state-changing console form, sign-in included, must come from the console's own
origin: `Origin` (or, without it, `Referer`) names this host, or the browser says
`Sec-Fetch-Site: same-origin` (its pages are served with `Referrer-Policy: no-referrer`,
under which a browser sends `Origin: null`). A foreign origin, or no sign at all, is a
403 page that changes nothing. The identity provider posting `/console/session` is trusted
only when configured (`BILLING_IDENTITY_PROVIDER_ORIGINS`).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.identity import SESSION_COOKIE
from tests.e2e.http import running, token

OWN = "http://testserver"
EVIL = "https://evil.test"
IDP = "https://idp.example.test"


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    with running(
        f"sqlite:///{tmp_path}/store.sqlite", str(tmp_path), identity_provider_origins=IDP
    ) as started:
        yield started


def _session(client: TestClient, headers: dict[str, str]) -> int:
    response = client.post(
        "/console/session", data={"token": token("mallory")}, headers=headers,
        follow_redirects=False,
    )  # fmt: skip
    signed_in = SESSION_COOKIE in response.headers.get("set-cookie", "")
    assert signed_in == (response.status_code == 303), response.status_code
    return response.status_code


def test_login_csrf_a_token_posted_from_another_site_is_refused(client: TestClient) -> None:
    assert _session(client, {"Origin": EVIL}) == 403


def test_a_token_posted_without_origin_referer_or_fetch_metadata_is_refused(
    client: TestClient,
) -> None:
    assert _session(client, {}) == 403


def test_a_token_posted_from_the_console_itself_is_accepted(client: TestClient) -> None:
    assert _session(client, {"Origin": OWN}) == 303


def test_without_origin_the_referer_decides(client: TestClient) -> None:
    assert _session(client, {"Referer": f"{OWN}/console/sign-in"}) == 303
    assert _session(client, {"Referer": f"{EVIL}/console/sign-in"}) == 403


def test_origin_null_is_accepted_only_when_the_browser_says_same_origin(
    client: TestClient,
) -> None:
    assert _session(client, {"Origin": "null", "Sec-Fetch-Site": "same-origin"}) == 303
    assert _session(client, {"Origin": "null", "Sec-Fetch-Site": "cross-site"}) == 403
    assert _session(client, {"Origin": "null"}) == 403


def test_the_configured_identity_provider_may_post_the_session(client: TestClient) -> None:
    assert _session(client, {"Origin": IDP, "Sec-Fetch-Site": "cross-site"}) == 303


def test_every_other_form_refuses_another_site_even_with_its_csrf_token(
    client: TestClient,
) -> None:
    page = client.get("/console/sign-in")
    csrf = page.text.split('name="csrf_token" value="')[1].split('"')[0]
    form = {"csrf_token": csrf, "login": "mallory"}
    for origin in (EVIL, IDP):
        response = client.post("/console/sign-in", data=form, headers={"Origin": origin},
                               follow_redirects=False)  # fmt: skip
        assert response.status_code == 403, origin
        assert SESSION_COOKIE not in response.headers.get("set-cookie", "")
    accepted = client.post("/console/sign-in", data=form, headers={"Origin": OWN},
                           follow_redirects=False)  # fmt: skip
    assert accepted.status_code == 303
