"""C4 from a test: `billing-center privacy forget LOGIN` run in this process, on the store
and keys of a running app's settings, as an operator runs it beside the service."""

from __future__ import annotations

from typer.testing import CliRunner

from api.cli import cli
from api.settings import Settings


def cli_environment(settings: Settings) -> dict[str, str]:
    """The `BILLING_*` variables that make the command use the same store and keys."""
    secret = settings.jwt_secret.get_secret_value() if settings.jwt_secret else ""
    return {
        "BILLING_ENV": settings.env,
        "BILLING_DATABASE_URL": settings.database_url,
        "BILLING_JWT_SECRET": secret,
        "BILLING_DATA_KEY": str(settings.data_key),
        "BILLING_EXPORT_KEY": str(settings.export_key),
    }


def forget(settings: Settings, login: str) -> str:
    """Erase `login`'s personal data with the CLI's own command; its output."""
    result = CliRunner().invoke(cli, ["privacy", "forget", login], env=cli_environment(settings))
    assert result.exit_code == 0, f"privacy forget {login} failed: {result.output}"
    return result.output
