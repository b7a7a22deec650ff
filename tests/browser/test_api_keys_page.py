"""The API keys page in Chromium, English and French (issue 22): an Administrator creates a
key, sees it once, and revokes it; axe-core and screenshots as on every page."""

from __future__ import annotations

from tests.browser.console import Server, Visitor, unique
from tests.browser.test_console import visitor

__all__ = ["visitor"]  # the fixture, shared with the console's own tests


def test_an_administrator_creates_and_revokes_a_key(visitor: Visitor, server: Server) -> None:
    v, tag = visitor, unique()
    ada, account = f"ada-{tag}".lower(), f"US-K{tag}"
    server.enroll(ada, account, server.issue(account, f"K1{tag}"))
    v.sign_in(ada)
    v.go("/console/api-keys", "api-keys")
    assert v.page.locator("nav a[href='/console/api-keys']").count() == 1
    v.page.fill("#f-name", "ERP")
    v.page.locator(f"input[name=accounts][value='{account}']").check()
    v.submit("form[action='/console/api-keys']", "api-key-created")
    key = v.page.inner_text("#new-key")
    assert key.startswith("bck_")
    assert v._("The key was created. Copy it now: it is shown this once.") in v.text()
    v.go("/console/api-keys", "api-keys")
    assert key not in v.page.content()
    v.submit("form[action$='/revoke']", "api-key-revoked")
    assert v._("The key was revoked.") in v.text()
    assert not v.violations, v.violations
