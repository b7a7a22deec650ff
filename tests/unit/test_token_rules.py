"""Token claims (issue 18): `exp` at most the configured lifetime ahead (24 h by default);
`iss` and `aud` checked when configured, accepted when not."""

from __future__ import annotations

import jwt
import pytest

from api.identity import TokenRules, Unauthenticated, verify
from api.settings import Settings
from api.tokens import issue_token

SECRET = "unit-test-secret-of-at-least-thirty-two-bytes"
HOUR = 3600
ISSUER = "https://idp.example.test"
AUDIENCE = "billing-center"


def test_a_token_valid_for_a_day_is_accepted() -> None:
    assert verify(issue_token(SECRET, "alice", ttl_seconds=24 * HOUR), SECRET)["sub"] == "alice"


def test_a_token_expiring_more_than_a_day_ahead_is_refused() -> None:
    with pytest.raises(Unauthenticated):
        verify(issue_token(SECRET, "alice", ttl_seconds=24 * HOUR + 60), SECRET)


def test_the_longest_lifetime_is_configurable() -> None:
    rules = TokenRules.of(Settings(token_max_lifetime_seconds=HOUR))
    assert verify(issue_token(SECRET, "alice", ttl_seconds=HOUR), SECRET, rules)
    with pytest.raises(Unauthenticated):
        verify(issue_token(SECRET, "bob", ttl_seconds=2 * HOUR), SECRET, rules)


def test_issuer_and_audience_are_accepted_when_not_configured() -> None:
    token = issue_token(SECRET, "alice", issuer=ISSUER, audience="someone-else")
    assert verify(token, SECRET)["sub"] == "alice"


def test_a_configured_issuer_is_required() -> None:
    rules = TokenRules.of(Settings(jwt_issuer=ISSUER))
    assert verify(issue_token(SECRET, "alice", issuer=ISSUER), SECRET, rules)
    for other in (None, "https://evil.test"):
        with pytest.raises(Unauthenticated):
            verify(issue_token(SECRET, "bob", issuer=other), SECRET, rules)


def test_a_configured_audience_is_required() -> None:
    rules = TokenRules.of(Settings(jwt_audience=AUDIENCE))
    assert verify(issue_token(SECRET, "alice", audience=AUDIENCE), SECRET, rules)
    listed = jwt.encode({"sub": "carol", "exp": 2**31 - 1, "aud": ["x", AUDIENCE]}, SECRET)
    with pytest.raises(Unauthenticated):  # a valid audience, but exp is decades ahead
        verify(listed, SECRET, rules)
    for other in (None, "another-service"):
        with pytest.raises(Unauthenticated):
            verify(issue_token(SECRET, "bob", audience=other), SECRET, rules)


def test_a_remembered_token_is_checked_again_under_other_rules() -> None:
    token = issue_token(SECRET, "alice", ttl_seconds=2 * HOUR)
    assert verify(token, SECRET)
    with pytest.raises(Unauthenticated):
        verify(token, SECRET, TokenRules.of(Settings(token_max_lifetime_seconds=HOUR)))
