"""The console's "Sign in with your company's identity provider" (issue 22 item 1): the
authorization-code flow with PKCE (S256) against a real local provider (tests/oidc_provider),
followed hop by hop as a browser would; `state`, `nonce` and the ID token are checked, the
login is the configured claim, and every refusal is a page that says so, never a 500."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urljoin

import httpx2 as httpx
import pytest
from fastapi.testclient import TestClient

from api.http.app import create_app
from api.settings import Settings
from tests.e2e.http import settings_for
from tests.e2e.mailbox import mail_off_settings
from tests.oidc_provider import AUDIENCE, Issuer, query_of, running_issuer

CONSOLE = "http://testserver"
START = "/console/sign-in/oidc"
HOPS = 10


@pytest.fixture
def issuer(monkeypatch: pytest.MonkeyPatch) -> Iterator[Issuer]:
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")  # the provider is http on loopback
    with running_issuer() as found:
        yield found


def console(issuer: Issuer, settings: Settings, **extra: Any) -> TestClient:
    update = {"oidc_issuer": issuer.url, "oidc_audience": AUDIENCE, **extra}
    return TestClient(create_app(settings.model_copy(update=update)), raise_server_exceptions=False)


@pytest.fixture
def app(issuer: Issuer, tmp_path: Path) -> Iterator[TestClient]:
    with console(issuer, settings_for("memory://", str(tmp_path))) as client:
        yield client


def walk(app: TestClient, url: str) -> httpx.Response:
    """Follow redirects as a browser does: the console's addresses to the app (its cookies
    kept), the provider's over the network."""
    for _ in range(HOPS):
        here = app if url.startswith((CONSOLE, "/")) else httpx
        answer = here.get(url, follow_redirects=False)
        if not answer.is_redirect:
            return answer
        url = urljoin(url if url.startswith("http") else CONSOLE + url, answer.headers["location"])
    raise AssertionError("too many redirects")


def signed_in_as(app: TestClient) -> str:
    """The login the console's header names (after the page that moves on to /console)."""
    page = app.get("/console", follow_redirects=True).text
    return page.split('<span class="who">')[1].split("<", maxsplit=1)[0]


def has_session(app: TestClient) -> bool:
    """Whether a page that needs a session opens (else: to the sign-in page)."""
    return app.get("/console/enroll", follow_redirects=False).status_code == 200


def provider_answer(app: TestClient) -> str:
    """Where the provider sends the browser back after a sign-in started in `app`."""
    to_provider = app.get(START, follow_redirects=False).headers["location"]
    back: str = httpx.get(to_provider, follow_redirects=False).headers["location"]
    return back


def assert_refused(app: TestClient, status: int, words: str) -> None:
    """A sign-in ends on a page that says why, and opens no session."""
    page = walk(app, START)
    assert page.status_code == status
    assert words in page.text
    assert not has_session(app)


def test_the_sign_in_page_offers_the_identity_provider(app: TestClient) -> None:
    page = app.get("/console/sign-in").text
    assert f'href="{START}"' in page
    assert "Sign in with your company&#39;s identity provider" in page


def test_signing_in_opens_the_console_session_for_the_person(
    app: TestClient, issuer: Issuer
) -> None:
    landed = walk(app, START)
    assert landed.status_code == 200, landed.text
    assert 'http-equiv="refresh" content="0;url=/console"' in landed.text
    assert issuer.token_refusals == []
    assert has_session(app)
    assert signed_in_as(app) == "carol"


def test_the_authorization_request_uses_pkce_s256_state_and_nonce(
    app: TestClient, issuer: Issuer
) -> None:
    walk(app, START)
    asked = issuer.authorize_queries[0]
    assert asked["code_challenge_method"] == "S256"
    assert len(asked["code_challenge"]) == 43
    assert asked["client_id"] == AUDIENCE
    assert "openid" in asked["scope"].split()
    assert asked["state"]
    assert asked["nonce"]
    assert asked["state"] != asked["nonce"]
    assert asked["redirect_uri"] == f"{CONSOLE}{START}/callback"


def test_the_login_is_the_configured_claim(issuer: Issuer, tmp_path: Path) -> None:
    issuer.id_token_claims = {"sub": "opaque-subject-1", "preferred_username": "Erin"}
    settings = settings_for("memory://", str(tmp_path))
    with console(issuer, settings, oidc_login_claim="preferred_username") as client:
        assert walk(client, START).status_code == 200
        assert signed_in_as(client) == "erin"


def test_a_person_who_cancels_at_the_provider_sees_a_page_not_an_error(
    app: TestClient, issuer: Issuer
) -> None:
    issuer.deny = True
    assert_refused(app, 403, "did not sign you in")


def test_an_answer_for_another_state_is_refused(app: TestClient, issuer: Issuer) -> None:
    back = provider_answer(app)
    code = query_of(back)["code"]
    forged = f"{START}/callback?{urlencode({'code': code, 'state': 'x' * 43})}"
    page = app.get(forged)
    assert page.status_code == 400
    assert "not started in this browser" in page.text
    assert issuer.grants  # the code was never exchanged


def test_an_answer_without_this_browsers_sign_in_is_refused(
    app: TestClient, issuer: Issuer, tmp_path: Path
) -> None:
    back = provider_answer(app)
    with console(issuer, settings_for("memory://", str(tmp_path / "other"))) as victim:
        page = walk(victim, back)  # login CSRF: another browser is handed the answer
    assert page.status_code == 400


@pytest.mark.parametrize(
    "claims",
    [
        {"nonce": "another-sign-in"},
        {"aud": "another-client"},
        {"iss": "https://evil.example"},
        {"exp": 1_000_000_000},
    ],
    ids=["nonce", "audience", "issuer", "expired"],
)
def test_an_id_token_that_does_not_verify_is_refused(
    app: TestClient, issuer: Issuer, claims: dict[str, Any]
) -> None:
    issuer.id_token_claims = claims
    assert_refused(app, 401, "could not be verified")


def test_a_code_is_exchanged_once(app: TestClient, issuer: Issuer) -> None:
    back = provider_answer(app)
    assert app.get(back).status_code == 200
    app.cookies.clear()
    app.cookies.set("bc_oidc_state", query_of(back)["state"], path=START)
    assert app.get(back).status_code == 401
    assert issuer.token_refusals == ["unknown or used code"]


def test_an_issuer_over_plain_http_is_refused_outside_tests(
    app: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OAUTHLIB_INSECURE_TRANSPORT")
    page = app.get(START)
    assert page.status_code == 400
    assert "over https" in page.text


def test_an_unreachable_provider_is_a_page(issuer: Issuer, tmp_path: Path) -> None:
    settings = settings_for("memory://", str(tmp_path))
    with console(issuer, settings, oidc_issuer="http://127.0.0.1:9") as client:
        page = client.get(START)
    assert page.status_code == 502
    assert "cannot be reached" in page.text


def test_outside_development_the_provider_is_the_only_way_in(
    issuer: Issuer, tmp_path: Path
) -> None:
    with console(issuer, mail_off_settings("memory://", str(tmp_path))) as client:
        sign_in = client.get("/console/sign-in").text
        signed_out = client.get("/console/invoices")
        assert f'href="{START}"' in sign_in
        assert 'action="/console/sign-in"' not in sign_in  # no development form
        assert signed_out.status_code == 401
        assert f'href="{START}"' in signed_out.text
        assert walk(client, START).status_code == 200
        assert signed_in_as(client) == "carol"


def test_without_an_issuer_there_is_no_identity_provider_sign_in(tmp_path: Path) -> None:
    settings = settings_for("memory://", str(tmp_path))
    with TestClient(create_app(settings)) as client:
        assert client.get(START).status_code == 404
        assert START not in client.get("/console/sign-in").text


def test_the_providers_answers_count_as_sign_ins(issuer: Issuer, tmp_path: Path) -> None:
    settings = settings_for("memory://", str(tmp_path))
    with console(issuer, settings, rate_limit_sign_ins="2/minute") as client:
        for _ in range(2):
            assert client.get(f"{START}/callback?code=guess&state={'x' * 43}").status_code == 400
        assert client.get(f"{START}/callback?code=guess&state={'x' * 43}").status_code == 429
