"""`billing-center keys create/list/revoke`: operators' keys for the service principals
(`billing-system`, `auditor`; issue 22). Company keys are their Administrators' (the API
and the console). The secret is printed once; the store keeps only its digest.
"""

from __future__ import annotations

import getpass
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer

from api.api_keys import digest, new_key
from api.bootstrap import billing_center
from api.settings import Settings
from domain.application import BillingCenter
from domain.caller import Caller, Scope
from domain.errors import DomainError

keys_cli = typer.Typer(help="API keys of the service principals (billing-system, auditor).")


def operator() -> Caller:
    """Who the events of these commands name: the operator's account on this machine."""
    return Caller(f"operator:{getpass.getuser()}")


@contextmanager
def _center() -> Iterator[BillingCenter]:
    center = billing_center(Settings())
    try:
        yield center
    except DomainError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(code=1) from None
    finally:
        center.close()


@keys_cli.command("create")
def create(
    scope: Annotated[Scope, typer.Option(help="The service principal the key acts as.")],
    name: Annotated[str, typer.Option(help="A label: which system holds the key.")],
) -> None:
    """Create a key and print it (shown this once), then its id on stderr."""
    key_id, key = new_key()
    with _center() as center:
        center.create_operator_key(operator(), key_id, scope, name, digest(key))
    typer.echo(key)
    typer.echo(f"key id: {key_id}", err=True)


@keys_cli.command("list")
def list_keys() -> None:
    """The keys not revoked: id, scope, name, created by, created at, last used at."""
    with _center() as center:
        for k in center.operator_keys():
            used = k.last_used_at or "never"
            typer.echo(f"{k.key_id}\t{k.scope}\t{k.name}\t{k.created_by}\t"
                       f"{k.created_at.isoformat()}\t{used}")  # fmt: skip


@keys_cli.command("revoke")
def revoke(key_id: Annotated[str, typer.Argument(help="The key's id (from list).")]) -> None:
    """Revoke a key: refused from its next request on."""
    with _center() as center:
        center.revoke_operator_key(operator(), key_id)
    typer.echo(f"revoked {key_id}")
