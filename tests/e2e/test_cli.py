"""`billing-center token` prints a token signed with the configured secret (API.md Identity)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import jwt
import pytest
from typer.testing import CliRunner

from api.cli import cli

SECRET = "e2e-secret-of-at-least-thirty-two-bytes"


@pytest.fixture
def runner(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> CliRunner:
    monkeypatch.chdir(tmp_path)  # a development secret, if any, lands under tmp_path/var
    for name in ["BILLING_ENV", "BILLING_JWT_SECRET"]:
        monkeypatch.delenv(name, raising=False)
    return CliRunner()


def _decode(token: str, secret: str = SECRET) -> dict[str, Any]:
    claims: dict[str, Any] = jwt.decode(token, secret, algorithms=["HS256"])
    return claims


def test_token_carries_login_issue_and_expiry(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["token", "alice"], env={"BILLING_JWT_SECRET": SECRET})
    assert result.exit_code == 0, result.output
    claims = _decode(result.stdout.strip())
    assert claims["sub"] == "alice"
    assert isinstance(claims["iat"], int)
    assert claims["exp"] == claims["iat"] + 3600
    assert "scope" not in claims


def test_token_carries_the_requested_scope_and_lifetime(runner: CliRunner) -> None:
    args = ["token", "ledger", "--scope", "billing-system", "--ttl", "60"]
    result = runner.invoke(cli, args, env={"BILLING_JWT_SECRET": SECRET})
    claims = _decode(result.stdout.strip())
    assert claims["scope"] == "billing-system"
    assert claims["exp"] == claims["iat"] + 60
    assert abs(claims["iat"] - time.time()) < 60


def test_token_refuses_an_unknown_scope(runner: CliRunner) -> None:
    args = ["token", "x", "--scope", "root"]
    result = runner.invoke(cli, args, env={"BILLING_JWT_SECRET": SECRET})
    assert result.exit_code != 0


def test_token_refuses_without_a_secret_outside_development(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["token", "alice"])
    assert result.exit_code == 2
    assert "refuses to start" in result.stderr


def test_token_in_development_is_signed_with_the_kept_generated_secret(
    runner: CliRunner, tmp_path: Path
) -> None:
    result = runner.invoke(cli, ["token", "alice"], env={"BILLING_ENV": "development"})
    assert result.exit_code == 0, result.output
    kept = (tmp_path / "var" / "keys" / "jwt-secret").read_text()
    assert _decode(result.stdout.strip(), kept)["sub"] == "alice"


def test_token_carries_the_configured_issuer_and_audience(runner: CliRunner) -> None:
    """Issue 18: `billing-center token` mints tokens the configured service accepts."""
    env = {"BILLING_JWT_SECRET": SECRET, "BILLING_JWT_ISSUER": "https://idp.test",
           "BILLING_JWT_AUDIENCE": "billing-center"}  # fmt: skip
    result = runner.invoke(cli, ["token", "alice"], env=env)
    assert result.exit_code == 0, result.output
    token = result.stdout.strip()
    claims = jwt.decode(token, SECRET, algorithms=["HS256"], audience="billing-center")
    assert claims["iss"] == "https://idp.test"


def test_token_refuses_a_lifetime_over_the_configured_maximum(runner: CliRunner) -> None:
    """Issue 18: a token the service would refuse is not minted."""
    env = {"BILLING_JWT_SECRET": SECRET, "BILLING_TOKEN_MAX_LIFETIME_SECONDS": "600"}
    result = runner.invoke(cli, ["token", "alice", "--ttl", "601"], env=env)
    assert result.exit_code == 2
    assert "600" in result.stderr


def test_r5_token_folds_the_login_as_the_service_keys_it(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["token", "Alice"], env={"BILLING_JWT_SECRET": SECRET})
    assert result.exit_code == 0, result.output
    assert _decode(result.stdout.strip())["sub"] == "alice"


def test_r5_token_refuses_a_look_alike_login(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["token", "\u0430lice"], env={"BILLING_JWT_SECRET": SECRET})
    assert result.exit_code == 2
    assert "login" in result.stderr
