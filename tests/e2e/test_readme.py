"""The README's "API walk-through" runs, command by command, against the app (so it cannot rot),
and so do the examples of "Receipts", "Saved searches", "Statements" and "Dispute cases",
which continue it in the same shell (issue 23)."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import httpx2 as httpx
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.cli import cli
from api.tokens import Scope
from tests.e2e.http import token
from tests.e2e.walkthrough import SECTION, Files, Shell, blocks, commands

README = Path(__file__).resolve().parents[2] / "README.md"
FEATURES = ("## Receipts", "## Saved searches", "## Statements", "## Dispute cases")


def _shell(client: TestClient, tmp: Path) -> Shell:
    def send(
        method: str, url: str, headers: dict[str, str], body: bytes | None, files: Files
    ) -> httpx.Response:
        parts = urlsplit(url)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        return client.request(method, path, headers=headers, content=body, files=files or None)

    def sign(login: str, scope: Scope | None, claims: dict[str, str]) -> str:
        return token(login, scope, **claims)

    def billing_center(args: list[str], files: Files) -> str:
        """The CLI with the app's keys; the shell's files are written under `tmp` first."""
        for name, content in files.items():
            (tmp / name).write_bytes(content)
        settings = client.app.state.settings  # type: ignore[attr-defined]
        env = {"BILLING_ENV": "development", "BILLING_EXPORT_KEY": str(settings.export_key)}
        argv = [str(tmp / a) if a in files else a for a in args]
        result = CliRunner().invoke(cli, argv, env=env)
        assert result.exit_code == 0, (args, result.output)
        return result.output

    return Shell(send, sign, billing_center)


def _run(shell: Shell, section: str) -> None:
    for block in blocks(README, section):
        for command, heredoc in commands(block):
            shell.run(command, heredoc)


def test_the_readme_walk_through_runs_against_the_service(api: TestClient, tmp_path: Path) -> None:
    shell = _shell(api, tmp_path)
    _run(shell, SECTION)
    archive = next(r for r in shell.responses if "/invoices/archive" in str(r.url)).json()
    assert [i["invoice_number"] for i in archive["items"]] == ["INV-2002"]
    detail = shell.responses[-1].json()
    assert detail["status"] == "PAID"
    assert [a["status"] for a in detail["adjustments"]] == ["OPEN"]


def test_i8_i9_r12_the_readme_examples_continue_the_walk_through(
    api: TestClient, tmp_path: Path
) -> None:
    shell = _shell(api, tmp_path)
    for section in (SECTION, *FEATURES):
        _run(shell, section)
    assert shell.files["receipt.pdf"].startswith(b"%PDF")
    assert b"INV-1004" in next(r.content for r in shell.responses if "statement" in str(r.url)
                               and r.headers["content-type"].startswith("text/csv"))  # fmt: skip
    case = next(r.json() for r in shell.responses if f"/adjustments/{shell.variables['AID']}?"
                in str(r.url))  # fmt: skip
    assert case["approved_lines"] == {"1Z1003": "25.00"}
    assert [s["step"] for s in case["history"]] == [
        "REQUESTED", "COMMENTED", "ATTACHED", "IN_REVIEW", "COMMENTED", "APPROVED",
    ]  # fmt: skip
    credit = {a["number"]: a["credit"] for a in shell.responses[-1].json()["items"]}
    assert credit == {"1A2B3C": "25.00", "4D5E6F": "0.00"}
