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


def forget(settings: Settings, login: str, *, known: bool = True) -> str:
    """Erase `login`'s personal data with the CLI's own command; its output. A login that was
    never a user is refused (exit 1) and nothing changes."""
    result = CliRunner().invoke(cli, ["privacy", "forget", login], env=cli_environment(settings))
    expected = 0 if known else 1
    assert result.exit_code == expected, f"privacy forget {login}: {result.output}"
    return result.output
