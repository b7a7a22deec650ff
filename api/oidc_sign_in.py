"""The console's "Sign in with your company's identity provider" (issue 22): OpenID Connect's
authorization-code flow with PKCE (S256) against the configured issuer.

The OAuth side (the authorization request, the callback's `state` and `error`, the token
request and answer) is oauthlib's `WebApplicationClient`, which also refuses an issuer or a
callback that is not https unless `OAUTHLIB_INSECURE_TRANSPORT` is set (development and
tests); the endpoints come from the issuer's discovery document; the ID token is checked by
the API's own verifier (api/oidc.py: signature by the issuer's JWKS, `iss`, `aud` = the
client id, `exp`, and the `nonce`), and the login is the claim configured for the API.

Nothing is kept on the server: a sign-in is a random `state` that the browser carries in a
cookie, and its PKCE verifier and `nonce` are HMACs of the state under the service secret,
so only the service can compute them and the verifier never leaves it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import threading
import urllib.error
import urllib.request
from typing import Any

from oauthlib.oauth2 import OAuth2Error, WebApplicationClient
from oauthlib.oauth2.rfc6749.errors import InsecureTransportError, MismatchingStateError

from api.identity import Unauthenticated
from api.oidc import FETCH_TIMEOUT_SECONDS, OidcVerifier, discovery, endpoint
from api.settings import Settings

SCOPES = "openid profile email"
STATE_CHARS = 43
"""`secrets.token_urlsafe(32)`: a state of any other shape is not one of ours."""


class SignInFailed(Exception):
    """The sign-in did not end with a verified ID token; `reason` says which step refused:
    `denied` (the provider refused or the person cancelled), `state` (not this browser's
    sign-in, or it expired), `token` (the code or the ID token was refused), `insecure`
    (an issuer or callback not served over https), `unavailable` (the issuer unreachable)."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


def well_formed(state: str) -> bool:
    """Whether `state` has the shape of the states `start` makes."""
    return len(state) == STATE_CHARS and state.replace("-", "").replace("_", "").isalnum()


class OidcSignIn:
    """One configured issuer and the console's client at it."""

    def __init__(
        self, verifier: OidcVerifier, client_id: str, client_secret: str | None, secret: str
    ) -> None:
        self.verifier = verifier
        self.client_id = client_id
        self._client_secret = client_secret
        self._secret = secret.encode()
        self._endpoints: tuple[str, str] | None = None
        self._lock = threading.Lock()

    def start(self, redirect_uri: str, lang: str) -> tuple[str, str]:
        """A new sign-in: its `state` (for the browser's cookie) and the issuer's URL to go to."""
        state = secrets.token_urlsafe(32)
        client = WebApplicationClient(self.client_id)
        challenge = client.create_code_challenge(self._derived("pkce", state), "S256")
        try:
            url: str = client.prepare_request_uri(
                self._discovered()[0], redirect_uri=redirect_uri, scope=SCOPES, state=state,
                nonce=self._derived("nonce", state), code_challenge=challenge,
                code_challenge_method="S256", ui_locales=lang,
            )  # fmt: skip
        except InsecureTransportError:
            raise SignInFailed("insecure", "the issuer is not served over https") from None
        return state, url

    def finish(self, callback: str, state: str, redirect_uri: str) -> dict[str, Any]:
        """The verified claims of the ID token the callback's code is exchanged for."""
        if not well_formed(state):
            raise SignInFailed("state", "no sign-in was started in this browser")
        client = WebApplicationClient(self.client_id)
        try:
            code = client.parse_request_uri_response(callback, state=state)["code"]
        except InsecureTransportError:
            raise SignInFailed("insecure", "the console is not served over https") from None
        except MismatchingStateError:
            raise SignInFailed("state", "the answer is not this browser's sign-in") from None
        except OAuth2Error as error:
            raise SignInFailed("denied", str(error.error)) from None
        body = client.prepare_request_body(
            code=code, redirect_uri=redirect_uri, code_verifier=self._derived("pkce", state),
            client_secret=self._client_secret,
        )  # fmt: skip
        return self._id_token(client, self._post(self._discovered()[1], body), state)

    def _id_token(self, client: WebApplicationClient, answer: str, state: str) -> dict[str, Any]:
        try:
            token = client.parse_request_body_response(answer)
            claims = self.verifier.id_token(
                str(token.get("id_token", "")), nonce=self._derived("nonce", state),
                audience=self.client_id,
            )  # fmt: skip
        except (OAuth2Error, Warning, ValueError) as error:
            raise SignInFailed("token", str(error)) from None
        except Unauthenticated as error:
            raise SignInFailed("token", error.detail) from None
        return claims

    def _derived(self, purpose: str, state: str) -> str:
        """43 URL-safe characters only the service can compute for this sign-in."""
        mac = hmac.new(self._secret, f"oidc-{purpose}|{state}".encode(), hashlib.sha256)
        return base64.urlsafe_b64encode(mac.digest()).rstrip(b"=").decode()

    def _discovered(self) -> tuple[str, str]:
        """The issuer's authorization and token endpoints (fetched once)."""
        with self._lock:
            if self._endpoints is None:
                try:
                    document = discovery(self.verifier.issuer)
                    found = (endpoint(document, "authorization_endpoint"),
                             endpoint(document, "token_endpoint"))  # fmt: skip
                except (OSError, ValueError, Unauthenticated) as error:
                    raise SignInFailed("unavailable", str(error)) from None
                self._endpoints = found
            return self._endpoints

    @staticmethod
    def _post(url: str, body: str) -> str:
        """The token endpoint's answer (its JSON error too: oauthlib reads it)."""
        request = urllib.request.Request(
            url, data=body.encode(), method="POST", headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "Accept": "application/json",
            },
        )  # fmt: skip
        try:
            with urllib.request.urlopen(request, timeout=FETCH_TIMEOUT_SECONDS) as answer:
                return str(answer.read().decode())
        except urllib.error.HTTPError as refused:
            text = refused.read().decode(errors="replace")
            return text if _is_json(text) else json.dumps({"error": f"http {refused.code}"})
        except (OSError, ValueError) as error:
            raise SignInFailed("unavailable", str(error)) from None


def _is_json(text: str) -> bool:
    try:
        return isinstance(json.loads(text), dict)
    except ValueError:
        return False


def oidc_sign_in(settings: Settings, verifier: object, secret: str) -> OidcSignIn | None:
    """The console's sign-in with the configured issuer, or None when none is configured."""
    if not isinstance(verifier, OidcVerifier):
        return None
    client_id = settings.oidc_client_id or verifier.audience
    client_secret = settings.oidc_client_secret
    shown = client_secret.get_secret_value() if client_secret is not None else None
    return OidcSignIn(verifier, client_id, shown, secret)
