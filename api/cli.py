"""The ``billing-center`` command: serve the API, sign development tokens."""

from __future__ import annotations

import os
from typing import Annotated

import typer
import uvicorn
from rich.console import Console

from api.audit_cli import audit, privacy
from api.bootstrap import billing_center
from api.demo import DemoGenerator, SimulatedClock
from api.http.app import create_app
from api.keys_cli import keys_cli
from api.mail.cli import mail_cli
from api.metrics.exposition import prepare_multiprocess
from api.projections_cli import projections_cli
from api.settings import Settings, SettingsError, resolve_jwt_secret
from api.tokens import Scope, issue_token
from api.webhooks.cli import webhooks_cli
from domain.errors import InvalidInput
from domain.text import login as login_rule
from store.schema import StoreStartupError, check_store
from store.url import is_postgres, scheme_of

cli = typer.Typer(help="Billing Center: event-sourced billing for a carrier.", no_args_is_help=True)
cli.add_typer(audit, name="audit")
cli.add_typer(privacy, name="privacy")
errors = Console(stderr=True)
KEEP_ALIVE_SECONDS = 30
"""Idle keep-alive connections are closed after this (uvicorn's default is 5 s). Clients
close theirs sooner (httpx after 5 s), so they never send on a connection the server is
closing at the same instant: at 5 s on both sides the soak saw "Server disconnected"."""
WORKER_PING_SECONDS = 30
"""How long uvicorn's supervisor waits for a worker's ping (its default, 5 s, is less than a
worker's start-up on the shared 2 cores: `make cluster` saw workers killed and restarted
without end, issue 20)."""
demo = typer.Typer(help="Demo data for trying the service and for benchmarks.")
cli.add_typer(demo, name="demo")
cli.add_typer(projections_cli, name="projections")
cli.add_typer(mail_cli, name="mail")
cli.add_typer(keys_cli, name="keys")
cli.add_typer(webhooks_cli, name="webhooks")


def _settings_and_secret() -> tuple[Settings, str]:
    try:
        settings = Settings()
        return settings, resolve_jwt_secret(settings)
    except SettingsError as error:
        errors.print(f"[bold red]error:[/] {error}")
        raise typer.Exit(code=2) from None


@cli.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[
        int,
        typer.Option(
            min=1,
            help="Worker processes (PostgreSQL only). Each also runs the projections and the "
            "mail sender (unless BILLING_PROJECTIONS=external); they share the projections "
            "through leases.",
        ),
    ] = 1,
    access_log: Annotated[
        bool | None,
        typer.Option(
            help="Log each request (default: in development only; in production the proxy "
            "in front logs them, and the line cost 3% of a request's CPU).",
        ),
    ] = None,
    metrics_port: Annotated[
        int | None,
        typer.Option(
            min=1,
            max=65535,
            help="Serve Prometheus metrics on this port too, without a token "
            "(BILLING_METRICS_PORT; BILLING_METRICS_HOST, default 127.0.0.1, is the address).",
        ),
    ] = None,
) -> None:
    """Serve the HTTP API with the projections (and mail sender) running in each process, or
    HTTP only with BILLING_PROJECTIONS=external (`projections run`, `mail send` elsewhere)."""
    if metrics_port is not None:  # the workers of --workers N read it from the environment
        os.environ["BILLING_METRICS_PORT"] = str(metrics_port)
    settings, _ = _settings_and_secret()
    try:
        check_store(settings.database_url)
    except StoreStartupError as error:
        errors.print(f"[bold red]error:[/] {error}")
        raise typer.Exit(code=2) from None
    if settings.projections == "external" and scheme_of(settings.database_url) == "memory":
        errors.print("[bold red]error:[/] BILLING_PROJECTIONS=external needs a durable store")
        raise typer.Exit(code=2)
    if workers > 1 and not is_postgres(settings.database_url):
        errors.print("[bold red]error:[/] --workers above 1 needs PostgreSQL")
        raise typer.Exit(code=2)
    errors.print(
        f"Billing Center on http://{host}:{port} (docs: /docs). Get a token with:\n"
        "  billing-center token LOGIN [--scope billing-system|auditor] [--email E --name N]\n"
        "(with the same BILLING_* environment, e.g. BILLING_ENV=development)"
    )
    if workers > 1:
        prepare_multiprocess()  # before the workers start: they add up their metrics there
    logged = settings.is_development if access_log is None else access_log
    app = "api.http.app:app_from_environment" if workers > 1 else create_app(settings)
    uvicorn.run(app, factory=workers > 1, workers=workers, host=host, port=port,
                server_header=False, access_log=logged,
                timeout_keep_alive=KEEP_ALIVE_SECONDS,
                timeout_worker_healthcheck=WORKER_PING_SECONDS)  # fmt: skip


@cli.command()
def token(
    login: Annotated[str, typer.Argument(help="Login id, the token's subject.")],
    scope: Annotated[Scope | None, typer.Option(help="Service principal scope.")] = None,
    ttl: Annotated[int, typer.Option(min=1, help="Lifetime in seconds.")] = 3600,
    email: Annotated[
        str | None, typer.Option(help="The email claim (profile at enrollment).")
    ] = None,
    name: Annotated[
        str | None, typer.Option(help="The name claim (profile at enrollment).")
    ] = None,
) -> None:
    """Print a bearer token for LOGIN signed with the configured secret (and the configured
    issuer and audience), valid for at most the configured longest lifetime."""
    try:
        login = login_rule(login)  # the login as the service keys it (R5): Bob is bob
    except InvalidInput as error:
        raise typer.BadParameter(error.detail, param_hint="LOGIN") from None
    settings, secret = _settings_and_secret()
    if ttl > settings.token_max_lifetime_seconds:
        errors.print(f"[bold red]error:[/] --ttl is at most {settings.token_max_lifetime_seconds}")
        raise typer.Exit(code=2)
    typer.echo(issue_token(secret, login, scope=scope, ttl_seconds=ttl, email=email, name=name,
                           issuer=settings.jwt_issuer, audience=settings.jwt_audience))  # fmt: skip


@demo.command("seed")
def demo_seed(
    companies: Annotated[int, typer.Option(min=1, help="Companies to enroll.")] = 3,
    invoices: Annotated[int, typer.Option(min=0, help="Invoices per company.")] = 100,
    users: Annotated[int, typer.Option(min=1, help="Users per company.")] = 10,
    seed: Annotated[int, typer.Option(help="Random seed: same seed, same history.")] = 7,
) -> None:
    """Write realistic histories (enrollments, users, roles, invoices, payments) to the store."""
    settings, _ = _settings_and_secret()
    clock = SimulatedClock()
    app = billing_center(settings, clock=clock)
    try:
        DemoGenerator(app, clock, seed, progress=errors.print).seed_companies(
            companies, invoices, users
        )
        typer.echo(f"seeded {companies} companies; store head at {app.head()}")
    finally:
        app.close()


def main() -> None:
    """Entry point of the ``billing-center`` console script."""
    cli()
