"""API keys (issue 22): what is kept of a key, how it is compared, how often its use is
written, and that a key is never a person."""

from __future__ import annotations

import hmac
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from api.api_keys import KeyVerifier, UseNotes, digest, new_key
from api.identity import Unauthenticated
from domain.api_key import ApiKey, key_name
from domain.errors import InvalidInput
from domain.text import login


def issued(key: str, key_id: str) -> ApiKey:
    return ApiKey(key_id=key_id, holder="c", scope=None, name="n", digest=digest(key), by="a")


def test_the_store_keeps_a_digest_never_the_key() -> None:
    key_id, key = new_key()
    kept = issued(key, key_id)
    assert key not in str(vars(kept))
    assert kept.digest == digest(key) != key


def test_a_key_is_compared_in_constant_time(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[Any, Any]] = []
    real = hmac.compare_digest

    def spy(a: Any, b: Any) -> bool:
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(hmac, "compare_digest", spy)
    key_id, key = new_key()
    assert issued(key, key_id).accepts(digest(key))
    assert calls


def test_a_revoked_key_accepts_nothing() -> None:
    key_id, key = new_key()
    kept = issued(key, key_id)
    kept.withdraw()
    assert not kept.accepts(digest(key))


@given(st.text(min_size=1, max_size=60))
def test_no_other_text_is_accepted_for_a_key(other: str) -> None:
    key_id, key = new_key()
    assert not issued(key, key_id).accepts(digest(key + other))


def test_a_keys_use_is_written_at_most_once_a_minute() -> None:
    notes = UseNotes()
    assert notes.due("k", 1000.0)
    assert not notes.due("k", 1059.0)
    assert notes.due("other", 1059.0)
    assert notes.due("k", 1060.0)


@pytest.mark.parametrize("text", ["key:abc", "KEY:0123", "key:"])
def test_no_login_starts_as_a_key_principal(text: str) -> None:
    with pytest.raises(InvalidInput):
        login(text)


@pytest.mark.parametrize("token", ["bck_", "bck_zz_secret", "bck_" + "0" * 32])
def test_a_malformed_key_is_refused_without_asking_the_store(token: str) -> None:
    verifier = KeyVerifier(None)  # type: ignore[arg-type]  # any store access would fail
    with pytest.raises(Unauthenticated):
        verifier(token)


@pytest.mark.parametrize("name", ["", "a\u202eb", "line\nbreak", "x" * 101, "nul\x00"])
def test_a_key_name_holds_to_the_text_rule(name: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        key_name(name)
    assert refused.value.rule_id == "R3"


def test_a_key_name_is_kept_as_nfc() -> None:
    assert key_name("Cafe\u0301 ERP") == "Caf\u00e9 ERP"
