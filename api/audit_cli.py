"""`billing-center audit ...` and `billing-center privacy ...`: C1-C4 on the command line.

They read the same BILLING_* settings as the service, so they work on the same store with
the same keys (the export key signs exports and store checkpoints).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any
from uuid import UUID

import orjson
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

from api.bootstrap import billing_center
from api.settings import Settings
from domain.errors import NotFound
from domain.user import ERASED
from projections.audit.chain import Signer, new_private_pem
from projections.audit.checkpoints import seal, verify_store
from projections.audit.explain import explain
from projections.audit.export import ExportScope, Format, write_export
from projections.audit.privacy import PrivateBillingCenter
from projections.audit.receipts import receipt_document
from projections.audit.receipts import verify as verify_receipt
from projections.audit.records import AuditLog
from projections.audit.replay import replay
from projections.audit.timetravel import company_as_of
from projections.audit.verify import verify_export
from projections.runner import Runner, ensure_schema
from store.database import open_database
from store.idempotency import idempotency_store
from store.keys import KeyFileError, load_or_create_export_key

audit = typer.Typer(help="Auditors: replay, explain, export and verify (C1-C4).")
privacy = typer.Typer(help="Personal data: erasure without rewriting history (C4).")
out = Console()
errors = Console(stderr=True)


def instant(text: str) -> datetime:
    """An RFC 3339 instant with an offset."""
    value = datetime.fromisoformat(text)
    if value.tzinfo is None:
        raise typer.BadParameter(f"{text!r} has no offset (RFC 3339, e.g. 2025-06-15T12:00:00Z)")
    return value


@contextmanager
def service() -> Iterator[tuple[Settings, PrivateBillingCenter]]:
    """The settings and the application service, closed afterwards."""
    settings = Settings()
    app = billing_center(settings)
    assert isinstance(app, PrivateBillingCenter)
    try:
        yield settings, app
    finally:
        app.close()


def signer(settings: Settings) -> Signer:
    """The export key (created on first use in development)."""
    try:
        pem = load_or_create_export_key(
            settings.export_key, create=settings.is_development, make=new_private_pem
        )
    except KeyFileError as error:
        errors.print(f"[bold red]error:[/] {error}")
        raise typer.Exit(code=2) from None
    return Signer(pem)


def _bar() -> Progress:
    return Progress(
        "[progress.description]{task.description}", BarColumn(), MofNCompleteColumn(),
        TimeRemainingColumn(), console=errors, transient=False,
    )  # fmt: skip


@audit.command("export")
def export_command(
    out_dir: Annotated[Path, typer.Option("--out", help="Folder to write the export to.")],
    company: Annotated[
        str | None, typer.Option(help="One company's events (default: all).")
    ] = None,
    fmt: Annotated[str, typer.Option("--format", help="jsonl or csv.")] = "jsonl",
    from_: Annotated[str | None, typer.Option("--from", help="RFC 3339 start (included).")] = None,
    to: Annotated[str | None, typer.Option("--to", help="RFC 3339 end (included).")] = None,
) -> None:
    """C3: write events.FORMAT, manifest.json and public-key.pem to --out."""
    if fmt not in ("jsonl", "csv"):
        raise typer.BadParameter("--format is jsonl or csv")
    scope = ExportScope(company, instant(from_) if from_ else None, instant(to) if to else None)
    with service() as (settings, app):
        key = signer(settings)
        seal(app.recorder, app.side_store, key)  # the store's own checkpoint, as it goes
        log = AuditLog(app.recorder, app.sealer)
        records = log.canonical(company_id=scope.company_id, since=scope.since, before=scope.until)
        with _bar() as bar:
            task = bar.add_task("exporting", total=app.head())

            def advance(position: int) -> None:
                bar.update(task, completed=position)

            manifest = write_export(records, out_dir, key, fmt=_format(fmt), scope=scope,
                                    progress=advance)  # fmt: skip
            bar.update(task, completed=app.head())
    out.print(f"exported {manifest['count']} records to {out_dir} (head {manifest['chain_head']})")


def _format(fmt: str) -> Format:
    return "csv" if fmt == "csv" else "jsonl"


@audit.command("verify")
def verify_command(
    folder: Annotated[Path, typer.Argument(help="An export folder.")],
    public_key: Annotated[
        Path | None, typer.Option(help="The export key's public PEM, obtained separately.")
    ] = None,
) -> None:
    """C3: verify an export offline; exits non-zero naming the first bad record."""
    verdict = verify_export(folder, public_key)
    for warning in verdict.warnings:
        errors.print(f"[yellow]warning:[/] {warning}")
    if not verdict.ok:
        errors.print(f"[bold red]FAILED:[/] {verdict.problem}")
        raise typer.Exit(code=1)
    out.print(f"verified {verdict.records} records")


@audit.command("checkpoint")
def checkpoint_command() -> None:
    """Seal the store: chain every new event row and sign the chain's head."""
    with service() as (settings, app):
        checkpoint = seal(app.recorder, app.side_store, signer(settings))
    where = checkpoint.position if checkpoint else 0
    out.print(f"checkpoint at position {where}")


@audit.command("verify-store")
def verify_store_command(
    public_key: Annotated[
        Path | None, typer.Option(help="Public PEM (default: from the export key).")
    ] = None,
) -> None:
    """Recompute the store's chain against its signed checkpoints; name the first bad row."""
    with service() as (settings, app):
        pem = public_key.read_bytes() if public_key else signer(settings).public_pem()
        verdict = verify_store(app.recorder, app.side_store, pem)
    if not verdict.ok:
        errors.print(f"[bold red]FAILED:[/] {verdict.problem}")
        raise typer.Exit(code=1)
    out.print(
        f"verified {verdict.rows} rows up to position {verdict.sealed_up_to}"
        f" ({verdict.unsealed} newer rows not yet sealed)"
    )


@audit.command("replay")
def replay_command(
    until: Annotated[str, typer.Option(help="RFC 3339 instant: copy events up to it.")],
    into: Annotated[str, typer.Option(help="BILLING_DATABASE_URL of an empty store.")],
) -> None:
    """Copy the store as it was at --until into another store, then build its read models."""
    with service() as (settings, app):
        target_settings = settings.model_copy(update={"database_url": into})
        target = billing_center(target_settings)
        assert isinstance(target, PrivateBillingCenter)
        try:
            moment = instant(until)
            copied = replay(
                app.recorder, target.recorder, moment,
                source_keys=app.person_keys, target_keys=target.person_keys,
            )  # fmt: skip
            built = _rebuild_read_models(into, target)
        finally:
            target.close()
    out.print(f"copied {copied} events into {into}; read models built: {', '.join(built) or '-'}")


def _rebuild_read_models(url: str, target: PrivateBillingCenter) -> list[str]:
    """Build the projections' read models in the target, when the read side offers it."""
    try:
        from projections.runner import PROJECTIONS, rebuild  # noqa: PLC0415
        from store.database import open_database  # noqa: PLC0415 (read side optional)
    except ImportError:
        return []
    db: Any = open_database(url)
    try:
        for name in PROJECTIONS:
            rebuild(db, target, name)
    finally:
        db.close()
    return list(PROJECTIONS)


@audit.command("company")
def company_command(
    company_id: Annotated[str, typer.Argument(help="The company id.")],
    as_of: Annotated[str, typer.Option("--as-of", help="RFC 3339 instant.")],
) -> None:
    """C1: the company as it was at --as-of (JSON)."""
    with service() as (_, app):
        found = company_as_of(app, UUID(company_id), instant(as_of))
    _print_json(found)


@audit.command("explain")
def explain_command(
    invoice_id: Annotated[str, typer.Argument(help="The invoice id.")],
    at: Annotated[str | None, typer.Option(help="RFC 3339 instant (default: now).")] = None,
) -> None:
    """C2: who could see the invoice at --at, and why (JSON)."""
    with service() as (_, app):
        found = explain(app, UUID(invoice_id), instant(at) if at else datetime.now(UTC))
    _print_json(found.as_dict() if found else None)


def _print_json(value: Any) -> None:
    if value is None:
        errors.print("[bold red]not found[/] at that instant")
        raise typer.Exit(code=1)
    sys.stdout.write(orjson.dumps(value, option=orjson.OPT_INDENT_2, default=str).decode() + "\n")


@privacy.command("forget")
def forget_command(login: Annotated[str, typer.Argument(help="The person's login.")]) -> None:
    """C4: erase LOGIN's names and e-mails everywhere; the events stay, sealed.

    Their keys are destroyed (the events' copies read as erased) and `PersonalDataErased`
    is recorded: running services drop their cached copy when they read it, and every read
    model (the directory, the outbox's copy of it, the audit trail) erases them. Kept
    idempotency answers are redacted here; the read models are brought up to date here too.
    """
    with service() as (settings, app):
        try:
            values = app.personal_values(login)
            forgotten = app.forget(login)
        except NotFound:
            errors.print(f"[bold red]error:[/] no person with the login {login!r}")
            raise typer.Exit(code=1) from None
        redacted = _redact_answers(settings, values)
        _catch_up(settings, app)
    out.print(
        f"forgot {login} at position {forgotten.position}: {forgotten.keys} key(s) destroyed, "
        f"{redacted} kept answer(s) redacted; events unchanged, read models erased"
    )


def _redact_answers(settings: Settings, values: set[str]) -> int:
    store = idempotency_store(settings.database_url)
    try:
        return store.redact(values, ERASED)
    finally:
        store.close()


def _catch_up(settings: Settings, app: PrivateBillingCenter) -> None:
    """Apply the erasure to every read model now (a running service's runner would too;
    the runners' position lock keeps each event applied once)."""
    db = open_database(settings.database_url)
    try:
        ensure_schema(db)
        Runner(db, app).catch_up()
    finally:
        db.close()


@audit.command("public-key")
def public_key_command() -> None:
    """Print the export key's public PEM: what receipts and exports are checked with (I8, C3)."""
    out.print(signer(Settings()).public_pem().decode(), end="", highlight=False)


@audit.command("verify-receipt")
def verify_receipt_command(
    file: Annotated[Path, typer.Argument(help="A receipt: its JSON, or its PDF.")],
    public_key: Annotated[
        Path | None, typer.Option(help="The export key's public PEM (default: this service's).")
    ] = None,
) -> None:
    """I8: check a receipt offline; exits non-zero naming what does not hold."""
    pem = public_key.read_bytes() if public_key else signer(Settings()).public_pem()
    try:
        document = receipt_document(file.read_bytes())
    except ValueError as error:
        errors.print(f"[bold red]FAILED:[/] {error}")
        raise typer.Exit(code=1) from None
    verdict = verify_receipt(document, pem)
    if not verdict.ok:
        errors.print(f"[bold red]FAILED:[/] {verdict.problem}")
        raise typer.Exit(code=1)
    facts = document["receipt"]
    out.print(
        f"verified receipt {facts['confirmation_number']}: {facts['amount']} {facts['currency']}"
        f" for invoice {facts['invoice_number']}"
    )
