"""The console's identity-provider sign-in, without a provider (issue 22 item 1): the PKCE
pair and the authorization request it makes, and any answer at the callback that is not this
browser's good one is refused by name (a page), never raised as something else (a 500)."""

from __future__ import annotations

import base64
import hashlib
from urllib.parse import urlencode

import pytest
from hypothesis import given
from hypothesis import strategies as st

from api.oidc import OidcVerifier
from api.oidc_sign_in import OidcSignIn, SignInFailed, well_formed
from api.web.routes.oidc import FAILURES
from tests.oidc_provider import query_of

CALLBACK = "https://console.example/console/sign-in/oidc/callback"
UNREACHABLE = "http://127.0.0.1:9"  # the discard port: nothing listens there
UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")


def _flow() -> OidcSignIn:
    flow = OidcSignIn(
        OidcVerifier("https://idp.example", "billing-center"), "billing-center", None, "s" * 32
    )
    flow._endpoints = ("https://idp.example/authorize", f"{UNREACHABLE}/token")
    return flow


FLOW = _flow()
STATE, _ = FLOW.start(CALLBACK, "en")


def test_the_authorization_request_carries_the_s256_challenge_of_a_valid_verifier() -> None:
    state, url = FLOW.start(CALLBACK, "fr")
    asked = query_of(url)
    verifier = FLOW._derived("pkce", state)
    assert 43 <= len(verifier) <= 128
    assert set(verifier) <= UNRESERVED
    digest = hashlib.sha256(verifier.encode()).digest()
    assert asked["code_challenge"] == base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    assert (asked["code_challenge_method"], asked["ui_locales"]) == ("S256", "fr")
    assert asked["nonce"] == FLOW._derived("nonce", state) != verifier
    assert well_formed(state)


def test_each_sign_in_has_its_own_state() -> None:
    assert FLOW.start(CALLBACK, "en")[0] != FLOW.start(CALLBACK, "en")[0]


NAMES = st.sampled_from(["code", "state", "error", "error_description", "iss", "session_state"])
VALUES = st.text(max_size=40)


@given(
    query=st.dictionaries(NAMES | st.text(max_size=8), VALUES, max_size=5),
    ours=st.booleans(),
    cookie=st.sampled_from([STATE, "", "x" * 43, "short"]),
)
def test_any_callback_is_refused_by_name(query: dict[str, str], ours: bool, cookie: str) -> None:
    if ours:
        query["state"] = STATE
    with pytest.raises(SignInFailed) as failed:
        FLOW.finish(f"{CALLBACK}?{urlencode(query)}", cookie, CALLBACK)
    assert failed.value.reason in FAILURES
