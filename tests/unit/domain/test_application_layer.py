"""The application layer (issue 19): the domain stays pure, and every command answers its
position."""

from __future__ import annotations

import ast
import inspect
import typing
from pathlib import Path

import pytest

from domain.application import BillingCenter, Receipt
from domain.caller import Caller

DOMAIN = Path(__file__).parents[3] / "domain"
PACKAGES = {"api", "projections", "store", "benchmarks", "tests"}
"""The layers above the domain: it imports none of them."""
IO = {"psycopg", "psycopg_pool", "sqlite3", "fastapi", "starlette", "os", "io", "pathlib", "socket"}
"""Libraries that would do I/O or serve requests: the domain imports none of them."""


def _imported(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module.split(".")[0])
    return found


@pytest.mark.parametrize("path", sorted(DOMAIN.rglob("*.py")), ids=str)
def test_the_domain_imports_nothing_of_the_other_packages_and_does_no_io(path: Path) -> None:
    assert not _imported(path) & (PACKAGES | IO)


def _commands() -> list[str]:
    """Every public method of BillingCenter that a caller asks for a change."""
    return [
        name
        for name, method in inspect.getmembers(BillingCenter, inspect.isfunction)
        if not name.startswith("_") and "caller" in inspect.signature(method).parameters
    ]


def test_the_billing_center_has_its_commands() -> None:
    assert {"enroll_company", "add_user", "add_account", "pay_invoice"} <= set(_commands())


@pytest.mark.parametrize("name", _commands())
def test_every_command_answers_a_receipt_that_carries_its_position(name: str) -> None:
    method = getattr(BillingCenter, name)
    hints = typing.get_type_hints(method)
    assert hints["caller"] is Caller
    assert typing.get_origin(hints["return"]) is Receipt
    assert hasattr(method, "__wrapped__"), "a command runs through @command (its retries)"
