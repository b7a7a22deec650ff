"""Signing in with the company's identity provider in Chromium, English and French (issue 22
item 1): the button on the sign-in page leads to a real local OpenID Connect provider
(tests/oidc_provider.py) on another site (`localhost`, the console being at 127.0.0.1), which
sends the browser back with a code from a page of its own (so the console's Strict session
cookie must be set and then used from a navigation the console starts itself); the person
lands signed in. axe-core and screenshots as
on every page."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.browser.conftest import serving
from tests.browser.console import Server, Visitor
from tests.browser.test_console import visitor
from tests.oidc_provider import AUDIENCE, Issuer, running_issuer

__all__ = ["visitor"]  # the fixture, shared with the console's own tests


@pytest.fixture(scope="module")
def issuer() -> Iterator[Issuer]:
    with running_issuer(host="localhost") as found:
        found.login_page = True  # the person follows a link on the provider's own page
        yield found


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, issuer: Issuer) -> Iterator[Server]:
    """The console with the provider as its issuer (plain http: a loopback test provider)."""
    home = tmp_path_factory.mktemp("console-oidc")
    settings = {"BILLING_OIDC_ISSUER": issuer.url, "BILLING_OIDC_AUDIENCE": AUDIENCE}
    with serving(home, OAUTHLIB_INSECURE_TRANSPORT="1", **settings) as running:
        yield running


def _through_provider(v: Visitor, issuer: Issuer, landing: str) -> None:
    """Press the button, follow the provider's link back, land on `landing` (a URL glob)."""
    v.go("/console/sign-in", "sign-in-oidc")
    button = v.page.get_by_role("link", name=v._("Sign in with your company's identity provider"))
    assert button.count() == 1
    with v.page.expect_navigation(url=f"{issuer.url}/authorize?*"):
        button.click()
    with v.page.expect_navigation(url=landing):
        v.page.click("#approve")  # back from the provider's site: no Strict cookie on that


def test_the_button_signs_the_person_in(visitor: Visitor, issuer: Issuer) -> None:
    v = visitor
    issuer.login = f"carol-{v.lang}"
    _through_provider(v, issuer, "**/console/enroll")
    assert v.page.inner_text(".who") == f"carol-{v.lang}"
    v.look("enroll")
    assert issuer.token_refusals == []
    assert not v.violations, v.violations


def test_a_refused_sign_in_is_a_page_that_says_so(visitor: Visitor, issuer: Issuer) -> None:
    v = visitor
    issuer.deny = True
    try:
        _through_provider(v, issuer, "**/console/sign-in/oidc/callback?*")
    finally:
        issuer.deny = False
    assert v._("The identity provider did not sign you in (refused or cancelled).") in v.text()
    v.look("sign-in-failed")
    assert v.page.locator(".who").count() == 0
    assert not v.violations, v.violations
