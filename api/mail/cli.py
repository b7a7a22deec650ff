"""`billing-center mail send` (or `mail run`, its first name): the mail sender as its own
process (issue 20: one of the three roles, beside `serve` and `projections run`)."""

from __future__ import annotations

import typer

from api.bootstrap import billing_center
from api.mail.sender import IDLE_SECONDS
from api.mail.service import mail_sender
from api.metrics.exposition import metrics_served, role_scrape
from api.processes import MetricsPort, log_to_stderr, stop_on_signals
from api.settings import Settings
from projections.runner import ensure_schema
from store.database import open_database
from store.url import scheme_of

mail_cli = typer.Typer(help="E-mail notifications (the outbox sender).", no_args_is_help=True)


@mail_cli.command("send")
@mail_cli.command("run")
def run(
    once: bool = typer.Option(False, help="Drain the outbox once, then exit."),
    metrics_port: MetricsPort = None,
) -> None:
    """Deliver the outbox's e-mails until stopped (Ctrl-C, SIGTERM)."""
    log_to_stderr()
    settings = Settings()
    if scheme_of(settings.database_url) == "memory":
        raise typer.BadParameter("a memory:// store lives in one process; use sqlite or postgresql")
    app = billing_center(settings)
    db = open_database(settings.database_url)
    ensure_schema(db)
    sender = mail_sender(settings, app, db)
    if sender is None:
        raise typer.Exit(code=2)
    if once:
        typer.echo(f"settled {sender.drain()} outbox rows")
        return
    with metrics_served(settings.metrics_host, metrics_port, role_scrape(db)):
        sender.run(stop_on_signals(), IDLE_SECONDS)
