"""`billing-center projections run|rebuild|status`: the read models' runner as its own
process, a rebuild beside the live copy, and each projection's position and lag (and, for
one stopped at an event it cannot apply, which event and why: the runner records it in
the database, so this process sees what the server's runner met).

`python -m api.projections_cli ...` is the same command (the tests run it as a process).
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from api.bootstrap import billing_center
from api.metrics.exposition import metrics_served, role_scrape
from api.processes import MetricsPort, log_to_stderr, stop_on_signals
from api.settings import Settings
from projections.queries import ProjectionStatus
from projections.runner import PAGE_SIZE, PROJECTIONS, ensure_schema, rebuild
from projections.status import report
from projections.workers import follower
from store.database import open_database

projections_cli = typer.Typer(help="Read models: run, rebuild, status.", no_args_is_help=True)
console = Console()


def _names(names: list[str]) -> list[str]:
    unknown = sorted(set(names) - set(PROJECTIONS))
    if unknown:
        raise typer.BadParameter(f"unknown projections {unknown}; known: {sorted(PROJECTIONS)}")
    return names or list(PROJECTIONS)


@projections_cli.command()
def run(
    names: Annotated[list[str] | None, typer.Argument(help="Projections (default: all).")] = None,
    page_size: Annotated[int, typer.Option(min=1, help="Events per transaction.")] = PAGE_SIZE,
    metrics_port: MetricsPort = None,
) -> None:
    """Follow the store and keep the read models until interrupted. On PostgreSQL any number
    of these processes share the projections through leases (a fair share each, rebalanced
    every second); a killed one's projections are taken over where it stopped."""
    log_to_stderr()
    settings = Settings()
    app, db = billing_center(settings), open_database(settings.database_url)
    stop = stop_on_signals()
    try:
        ensure_schema(db)
        with metrics_served(settings.metrics_host, metrics_port, role_scrape(db)):
            follower(db, app, _names(names or []), page_size=page_size).run(stop)
    finally:
        db.close()
        app.close()


@projections_cli.command("rebuild")
def rebuild_command(
    names: Annotated[list[str] | None, typer.Argument(help="Projections to rebuild.")] = None,
    all_: Annotated[bool, typer.Option("--all", help="Rebuild every projection.")] = False,
    page_size: Annotated[int, typer.Option(min=1, help="Events per transaction.")] = PAGE_SIZE,
) -> None:
    """Build a fresh copy from position 0 beside the live one; switch readers when caught up."""
    if not names and not all_:
        raise typer.BadParameter("name a projection or pass --all")
    settings = Settings()
    app, db = billing_center(settings), open_database(settings.database_url)
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    try:
        with Progress(*columns, console=console) as progress:
            for name in _names([] if all_ else names or []):
                task = progress.add_task(name, total=app.head() or 1)

                def show(done: int, head: int, task: TaskID = task) -> None:
                    progress.update(task, completed=done, total=max(head, 1))

                generation = rebuild(db, app, name, progress=show, page_size=page_size)
                progress.console.print(f"{name}: generation {generation} is live")
    finally:
        db.close()
        app.close()


@projections_cli.command()
def status() -> None:
    """Print each projection's position, the store's head, the lag in events and in seconds,
    the worker holding it, and why a projection stalled, if one did (exit status 1: one
    cannot apply an event, or is behind and has not moved for BILLING_PROJECTION_STALL_SECONDS)."""
    settings = Settings()
    app, db = billing_center(settings), open_database(settings.database_url)
    try:
        ensure_schema(db)
        rows = report(db, app, stall_seconds=settings.projection_stall_seconds)
    finally:
        db.close()
        app.close()
    _print_status(rows)
    if any(row.degraded for row in rows):
        raise typer.Exit(1)


def _print_status(rows: list[ProjectionStatus]) -> None:
    table = Table("projection", "position", "head", "lag", "lag s", "owner", "state")
    for row in rows:
        state = "stalled" if row.degraded else "ok"
        table.add_row(row.name, str(row.position), str(row.head), str(row.lag),
                      f"{row.lag_seconds:.1f}", row.owner or "-", state)  # fmt: skip
    console.print(table)
    for row in rows:  # plain lines: a table would wrap the error
        if row.failure is not None:
            typer.echo(
                f"{row.name}: stalled at position {row.position}, cannot apply event "
                f"{row.failure.event_position} (attempt {row.failure.attempts}, "
                f"{row.failure.failed_at}): {row.failure.error}"
            )
        elif row.stalled:
            typer.echo(
                f"{row.name}: stalled at position {row.position}, {row.lag} events behind, "
                f"not moved for {row.waiting_seconds:.0f} s"
            )


if __name__ == "__main__":
    projections_cli()
