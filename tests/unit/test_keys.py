"""The AES-256-GCM secret box and the data key file."""

from __future__ import annotations

import secrets
import stat
from pathlib import Path

import pytest

from store.keys import AesGcmSecretBox, KeyFileError, SecretBoxError, load_or_create_data_key


@pytest.fixture
def box() -> AesGcmSecretBox:
    return AesGcmSecretBox(secrets.token_bytes(32))


def test_sealed_value_opens_to_the_plaintext(box: AesGcmSecretBox) -> None:
    assert box.open(box.seal("DE89 3704 0044 0532 0130 00")) == "DE89 3704 0044 0532 0130 00"


def test_sealed_value_is_an_ascii_token_that_hides_the_plaintext(box: AesGcmSecretBox) -> None:
    sealed = box.seal("12345678")
    assert sealed.startswith("v1:")
    assert sealed.isascii()
    assert "12345678" not in sealed


def test_sealing_twice_gives_different_tokens(box: AesGcmSecretBox) -> None:
    assert box.seal("same") != box.seal("same")


def test_tampered_token_does_not_open(box: AesGcmSecretBox) -> None:
    sealed = box.seal("12345678")
    flipped = sealed[:-2] + ("A" if sealed[-2] != "A" else "B") + sealed[-1]
    with pytest.raises(SecretBoxError):
        box.open(flipped)


def test_token_sealed_under_another_key_does_not_open(box: AesGcmSecretBox) -> None:
    other = AesGcmSecretBox(secrets.token_bytes(32))
    with pytest.raises(SecretBoxError, match="this key"):
        box.open(other.seal("12345678"))


@pytest.mark.parametrize("token", ["", "v2:abc", "v1:", "v1:!!!", "v1:AAAA"])
def test_malformed_token_is_refused(box: AesGcmSecretBox, token: str) -> None:
    with pytest.raises(SecretBoxError):
        box.open(token)


def test_key_of_the_wrong_length_is_refused() -> None:
    with pytest.raises(KeyFileError, match="32 bytes"):
        AesGcmSecretBox(b"short")


def test_development_creates_a_private_32_byte_key_on_first_use(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "data.key"
    key = load_or_create_data_key(path, create=True)
    assert len(key) == 32
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_development_reuses_the_key_once_created(tmp_path: Path) -> None:
    path = tmp_path / "data.key"
    assert load_or_create_data_key(path, create=True) == load_or_create_data_key(path, create=True)


def test_outside_development_a_missing_key_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(KeyFileError, match="does not exist"):
        load_or_create_data_key(tmp_path / "absent.key", create=False)


def test_key_file_of_the_wrong_length_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "data.key"
    path.write_bytes(b"x" * 16)
    with pytest.raises(KeyFileError, match="16 bytes"):
        load_or_create_data_key(path, create=False)
