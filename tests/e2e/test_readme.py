"""The README's "API walk-through" runs, command by command, against the app (so it cannot rot)."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import httpx2 as httpx
from fastapi.testclient import TestClient

from api.tokens import Scope
from tests.e2e.http import token
from tests.e2e.walkthrough import Shell, blocks, commands

README = Path(__file__).resolve().parents[2] / "README.md"


def _shell(client: TestClient) -> Shell:
    def send(method: str, url: str, headers: dict[str, str], body: bytes | None) -> httpx.Response:
        parts = urlsplit(url)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        return client.request(method, path, headers=headers, content=body)

    def sign(login: str, scope: Scope | None, claims: dict[str, str]) -> str:
        return token(login, scope, **claims)

    return Shell(send, sign)


def test_the_readme_walk_through_runs_against_the_service(api: TestClient) -> None:
    shell = _shell(api)
    for block in blocks(README):
        for command, heredoc in commands(block):
            shell.run(command, heredoc)
    archive = next(r for r in shell.responses if "/invoices/archive" in str(r.url)).json()
    assert [i["invoice_number"] for i in archive["items"]] == ["INV-2002"]
    detail = shell.responses[-1].json()
    assert detail["status"] == "PAID"
    assert [a["status"] for a in detail["adjustments"]] == ["OPEN"]
