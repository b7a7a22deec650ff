"""Service settings, read from ``BILLING_*`` environment variables.

The HTTP service and the ``billing-center`` command read the same settings, so with the same
environment they work on the same store with the same keys.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Literal

from limits import parse
from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from store.keys import read_or_create_secret_file

MIN_JWT_SECRET_BYTES = 32
DEV_JWT_SECRET_PATH = Path("./var/keys/jwt-secret")


class SettingsError(RuntimeError):
    """The settings do not allow the service to start."""


class Settings(BaseSettings):
    """Configuration of the billing center; each field is ``BILLING_<FIELD>``."""

    model_config = SettingsConfigDict(env_prefix="BILLING_", extra="ignore")

    env: Literal["development", "production"] = "production"
    database_url: str = "sqlite:///./var/billing.sqlite"
    jwt_secret: SecretStr | None = None
    data_key: Path = Path("./var/keys/data-aes256.key")
    export_key: Path = Path("./var/keys/export-ed25519.pem")
    smtp_url: str | None = None
    # Rate limits (issue 17), in the `limits` notation ("N/minute", "N per 15 minutes"),
    # counted in each process's memory: with `serve --workers W` a client gets up to W times.
    rate_limit_token_less: str = "300/minute"
    """Requests without a valid token or console session, per client address (`/health`,
    which monitors poll, is not counted)."""
    rate_limit_sign_ins: str = "30/minute"
    """Console sign-ins (`POST /console/sign-in`, `/console/session`, the identity provider's
    answers at `/console/sign-in/oidc/callback`), per client address."""
    rate_limit_proofs: str = "10 per 15 minutes"
    """Refused account proofs (A1) when enrolling or adding an account, per login and,
    separately, per client address; a proof that matches is not counted."""

    @field_validator("rate_limit_token_less", "rate_limit_sign_ins", "rate_limit_proofs")
    @classmethod
    def _a_rate_limit(cls, value: str) -> str:
        parse(value)  # ValueError names the setting: the service refuses to start
        return value

    token_max_lifetime_seconds: int = Field(default=24 * 3600, ge=60)
    """A token whose `exp` is further ahead than this is refused (issue 18)."""
    jwt_issuer: str | None = None
    """When set, a token's `iss` must be exactly this."""
    jwt_audience: str | None = None
    """When set, a token's `aud` must be or contain this."""
    identity_provider_origins: str = ""
    """Origins (comma-separated, e.g. `https://idp.example.com`) that may post a token to
    `/console/session` besides the console itself; every other console form only the console."""
    webhooks_allow_private: bool = False
    """Webhooks may call private, loopback and link-local addresses (development and tests)."""
    webhooks_lease_seconds: int = Field(default=60, ge=1)
    """How long a sender holds a message it is posting: one that died mid-delivery has its
    message sent again (same `webhook-id`) once this runs out; above the 10 s timeout."""

    read_database_url: str | None = None
    """A streaming replica (hot standby) of `database_url` for the read models' queries;
    writes and the projections stay on the primary (issue 20)."""

    metrics_public: bool = False
    """Serve `GET /metrics` on the API port without a token (issue 20); otherwise only on
    `metrics_port`."""
    metrics_port: int | None = Field(default=None, ge=1, le=65535)
    """A port of its own for Prometheus (`serve --metrics-port`), no token asked."""
    metrics_host: str = "127.0.0.1"
    """The address the metrics port listens on."""

    projections: Literal["embedded", "external"] = "embedded"
    """`external` (issue 20): `serve` only answers HTTP; `billing-center projections run`
    workers keep the read models and `billing-center mail send` delivers the e-mails."""
    projection_stall_seconds: float = Field(default=30.0, gt=0)
    """A projection behind the head whose position has not moved for this long is
    `stalled` (`/health` answers 503 `degraded`)."""

    # OpenID Connect and API keys (issue 22, api/oidc.py, api/api_keys.py)
    oidc_issuer: str | None = None
    """When set, that issuer's RS256/ES256/EdDSA tokens are accepted too (`iss` exactly this)."""
    oidc_audience: str | None = None
    """The `aud` the issuer's tokens must contain (default: the issuer)."""
    oidc_login_claim: str = "sub"
    """The claim of the issuer's tokens that holds the login."""
    jwks_url: str | None = None
    """The issuer's key set, instead of its discovery document's `jwks_uri`."""
    oidc_client_id: str | None = None
    """The console's client at the issuer, for "Sign in with your company's identity
    provider" (authorization code + PKCE); default: the audience."""
    oidc_client_secret: SecretStr | None = None
    """That client's secret, when the issuer makes it a confidential client."""

    @property
    def is_development(self) -> bool:
        return self.env == "development"


def resolve_jwt_secret(settings: Settings, generated: Path = DEV_JWT_SECRET_PATH) -> str:
    """Return the HS256 secret: the configured one, or in development one kept in ``generated``.

    Raises ``SettingsError`` for a configured secret under 32 bytes, and outside development
    when none is configured: the service refuses to start.
    """
    if settings.jwt_secret is not None:
        secret = settings.jwt_secret.get_secret_value()
        if len(secret.encode()) < MIN_JWT_SECRET_BYTES:
            raise SettingsError(
                f"BILLING_JWT_SECRET must be at least {MIN_JWT_SECRET_BYTES} bytes; "
                "the service refuses to start with a shorter one"
            )
        return secret
    if not settings.is_development:
        raise SettingsError(
            "BILLING_JWT_SECRET is not set: outside development (BILLING_ENV=development) the "
            f"service refuses to start without a secret of at least {MIN_JWT_SECRET_BYTES} bytes"
        )
    return read_or_create_secret_file(generated, _new_secret).decode()


def _new_secret() -> bytes:
    return secrets.token_urlsafe(48).encode()
