"""Settings come from BILLING_* variables; the JWT secret rules of API.md "Identity"."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from pydantic import SecretStr

from api.settings import Settings, SettingsError, resolve_jwt_secret

LONG_SECRET = "s" * 32


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ["ENV", "DATABASE_URL", "JWT_SECRET", "DATA_KEY", "EXPORT_KEY", "SMTP_URL"]:
        monkeypatch.delenv(f"BILLING_{name}", raising=False)


def test_defaults_are_production_on_a_local_sqlite_file() -> None:
    settings = Settings()
    assert settings.env == "production"
    assert settings.database_url == "sqlite:///./var/billing.sqlite"
    assert settings.jwt_secret is None
    assert settings.data_key == Path("./var/keys/data-aes256.key")
    assert settings.export_key == Path("./var/keys/export-ed25519.pem")
    assert settings.smtp_url is None


def test_settings_are_read_from_billing_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BILLING_ENV", "development")
    monkeypatch.setenv("BILLING_DATABASE_URL", "memory://")
    monkeypatch.setenv("BILLING_JWT_SECRET", LONG_SECRET)
    settings = Settings()
    assert settings.is_development
    assert settings.database_url == "memory://"
    assert settings.jwt_secret == SecretStr(LONG_SECRET)


def test_configured_secret_of_32_bytes_is_used(tmp_path: Path) -> None:
    settings = Settings(jwt_secret=SecretStr(LONG_SECRET))
    assert resolve_jwt_secret(settings, tmp_path / "jwt") == LONG_SECRET


@pytest.mark.parametrize("env", ["development", "production"])
def test_configured_secret_under_32_bytes_refuses_to_start(env: str, tmp_path: Path) -> None:
    settings = Settings(env=env, jwt_secret=SecretStr("s" * 31))
    with pytest.raises(SettingsError, match="at least 32 bytes"):
        resolve_jwt_secret(settings, tmp_path / "jwt")


def test_no_secret_outside_development_refuses_to_start(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="refuses to start"):
        resolve_jwt_secret(Settings(env="production"), tmp_path / "jwt")
    assert not (tmp_path / "jwt").exists()


def test_no_secret_in_development_generates_a_private_one(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "jwt-secret"
    secret = resolve_jwt_secret(Settings(env="development"), path)
    assert len(secret.encode()) >= 32
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_generated_development_secret_is_reused(tmp_path: Path) -> None:
    path = tmp_path / "jwt-secret"
    first = resolve_jwt_secret(Settings(env="development"), path)
    assert resolve_jwt_secret(Settings(env="development"), path) == first
