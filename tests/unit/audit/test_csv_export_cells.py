"""C3 and OWASP CSV injection (issue 18): the audit CSV export shows request ids (and the
logins an older version let start with `@`, `+`, ...; the login rule of issue 17 no longer
does) as text, never as formulas, and still verifies; the JSONL export keeps them exact."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import orjson

from domain.caller import Caller
from domain.values import Role
from projections.audit.chain import Signer, new_private_pem
from projections.audit.export import COLUMNS, Format, write_export
from projections.audit.records import AuditLog
from projections.audit.verify import verify_export
from tests.audit_world import ACCOUNT, center, company

HOSTILE = '=HYPERLINK("http://evil.test")'
AT = "@SUM(1+1)"
TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def _export(tmp_path: Path, fmt: Format) -> Path:
    app = center()
    cid = company(app)
    alice = Caller("alice", email="alice@example.com", name="Alice", correlation_id=AT)
    app.add_user(alice, cid, "admin", email="a@example.com", name="A", role=Role.ADMINISTRATOR)
    caller = Caller("admin", email="a@example.com", name="A", correlation_id=HOSTILE)
    app.add_user(caller, cid, "bob", email="b@example.com", name="-Bob", role=Role.VIEW_ONLY,
                 accounts=(ACCOUNT,))  # fmt: skip
    folder = tmp_path / fmt
    write_export(AuditLog(app.recorder, app.sealer).records(), folder, Signer(new_private_pem()),
                 fmt=fmt)  # fmt: skip
    return folder


def test_no_audit_csv_cell_starts_a_formula(tmp_path: Path) -> None:
    text = (_export(tmp_path, "csv") / "events.csv").read_text(encoding="utf-8")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert rows[0] == list(COLUMNS)
    cells = [cell for row in rows[1:] for cell in row]
    assert "'" + AT in cells
    assert "'" + HOSTILE in cells
    assert not [cell for cell in cells if cell.startswith(TRIGGERS)]


def test_the_neutralised_audit_csv_export_still_verifies(tmp_path: Path) -> None:
    assert verify_export(_export(tmp_path, "csv")).problem is None


def test_the_jsonl_export_keeps_the_values_exact(tmp_path: Path) -> None:
    folder = _export(tmp_path, "jsonl")
    records = [orjson.loads(line) for line in (folder / "events.jsonl").read_bytes().splitlines()]
    assert AT in {r["correlation_id"] for r in records}
    assert HOSTILE in {r["correlation_id"] for r in records}
    assert verify_export(folder).problem is None
