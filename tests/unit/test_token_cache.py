"""Issue 5: a verified token is remembered, yet refused once it expires (as PyJWT would)."""

from __future__ import annotations

import time

import pytest

from api import identity as auth
from api.identity import Unauthenticated
from api.tokens import issue_token

SECRET = "unit-test-secret-of-at-least-thirty-two-bytes"


def test_a_remembered_token_is_refused_once_expired(monkeypatch: pytest.MonkeyPatch) -> None:
    token = issue_token(SECRET, "alice", ttl_seconds=60)
    assert auth.verify(token, SECRET)["sub"] == "alice"
    later = time.time() + 61
    monkeypatch.setattr(time, "time", lambda: later)
    with pytest.raises(Unauthenticated):
        auth.verify(token, SECRET)


def test_a_token_is_not_remembered_for_another_secret() -> None:
    token = issue_token(SECRET, "alice")
    auth.verify(token, SECRET)
    with pytest.raises(Unauthenticated):
        auth.verify(token, "another-secret-of-at-least-thirty-two-bytes")


def test_callers_cannot_change_the_remembered_claims() -> None:
    token = issue_token(SECRET, "alice")
    auth.verify(token, SECRET)["sub"] = "mallory"
    assert auth.verify(token, SECRET)["sub"] == "alice"
