"""`billing-center webhooks run|redeliver`: the webhook sender as its own process, and
sending failed messages again."""

from __future__ import annotations

from uuid import UUID

import typer

from api.bootstrap import billing_center
from api.metrics.exposition import metrics_served, role_scrape
from api.processes import MetricsPort, log_to_stderr, stop_on_signals
from api.settings import Settings
from api.webhooks.sender import IDLE_SECONDS, utc_now
from api.webhooks.service import webhook_sender
from projections.runner import ensure_schema
from projections.webhooks import parse_message_id
from store.database import Database, open_database
from store.url import scheme_of
from store.webhooks import SqlWebhookDeliveries

webhooks_cli = typer.Typer(help="Signed webhooks (the sender).", no_args_is_help=True)


def _database(settings: Settings) -> Database:
    if scheme_of(settings.database_url) == "memory":
        raise typer.BadParameter("a memory:// store lives in one process; use sqlite or postgresql")
    db = open_database(settings.database_url)
    ensure_schema(db)
    return db


@webhooks_cli.command("run")
def run(metrics_port: MetricsPort = None) -> None:
    """Deliver due webhook messages until stopped (Ctrl-C, SIGTERM)."""
    log_to_stderr()
    settings = Settings()
    db = _database(settings)
    sender = webhook_sender(settings, billing_center(settings), db)
    with metrics_served(settings.metrics_host, metrics_port, role_scrape(db)):
        sender.run(stop_on_signals(), IDLE_SECONDS)


@webhooks_cli.command("redeliver")
def redeliver(
    webhook_id: str = typer.Argument(help="The endpoint (its webhook_id)."),
    message: str | None = typer.Option(
        None, help="One message (its webhook-id, msg_...); without it, every failed one."
    ),
) -> None:
    """Send an endpoint's failed messages again (or one message), under the same webhook-id."""
    endpoint = _uuid(webhook_id)
    position = None if message is None else _position(message, endpoint)
    count = SqlWebhookDeliveries(_database(Settings())).redeliver(
        str(endpoint), position, utc_now()
    )
    typer.echo(f"scheduled {count} message(s) of {endpoint} for delivery")


def _position(message: str, endpoint: UUID) -> int:
    try:
        position, of = parse_message_id(message)
    except ValueError:
        raise typer.BadParameter(f"{message} is not a webhook-id (msg_...)") from None
    if of != endpoint.hex:
        raise typer.BadParameter(f"{message} is not a message of {endpoint}")
    return position


def _uuid(text: str) -> UUID:
    try:
        return UUID(text)
    except ValueError:
        raise typer.BadParameter(f"{text} is not a webhook id") from None
