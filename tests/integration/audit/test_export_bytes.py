"""Issue 21: the export's fast path (rows streamed from the cursor straight into canonical
bytes and the chain) writes exactly the bytes the record-by-record implementation wrote,
so exports made before it still verify and an export of the same store is the same file."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import timedelta
from pathlib import Path

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.values import AccountKey, Role
from projections.audit.chain import Signer, new_private_pem
from projections.audit.export import ChainedWriter, Exportable, Format, write_export
from projections.audit.privacy import PrivateBillingCenter
from projections.audit.records import AuditLog, Canonical
from projections.audit.verify import verify_export
from tests.audit_world import ACCOUNT, add_user, company, instant, issue, person
from tests.audit_world import center as audit_center

SIGNER = Signer(new_private_pem())
OTHER = AccountKey("DE", "F00001")


def _store(url: str) -> PrivateBillingCenter:
    """Two companies, people joining, changing roles, leaving and erased, invoices, and
    text that JSON escapes: every kind of record the export encodes."""
    app = audit_center(url)
    acme = company(app)
    zed = company(app, "zoe", OTHER)
    add_user(app, acme, "bob", Role.VIEW_ONLY, accounts=(ACCOUNT,))
    app.add_user(person("alice"), acme, "carol", email="carol@example.com",
                 name='Carol "C" Ünal\\ 🧾', role=Role.VIEW_ONLY, accounts=(ACCOUNT,))  # fmt: skip
    add_user(app, zed, "dan", Role.VIEW_PAY, accounts=(OTHER,), by="zoe")
    app.change_role(person("alice"), acme, "bob", Role.VIEW_PAY)
    for number in ("INV-1", "INV/2", "INV_3"):
        issue(app, ACCOUNT, number)
    issue(app, OTHER, "F-1")
    app.remove_user(person("alice"), acme, "carol", confirmed=True)
    app.forget("bob")
    return app


def _old_export(records: Iterable[Exportable], fmt: Format) -> tuple[bytes, str]:
    """The events file as the writer wrote it before issue 21: one `line` per record, the
    file's digest fed a chunk at a time (as `ChainedWriter.lines` did)."""
    writer = ChainedWriter(fmt)
    data = writer.header() + b"".join(writer.line(record) for record in records)
    return data, writer.head.hex()


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_the_fast_path_writes_the_bytes_of_the_record_by_record_export(
    durable_store_url: str, tmp_path: Path, fmt: Format
) -> None:
    app = _store(durable_store_url)
    log = AuditLog(app.recorder, app.sealer)
    old, old_head = _old_export(log.records(), fmt)
    manifest = write_export(log.canonical(), tmp_path, SIGNER, fmt=fmt)
    new = (tmp_path / f"events.{fmt}").read_bytes()
    assert new == old
    assert manifest["chain_head"] == old_head
    assert manifest["file_sha256"] == hashlib.sha256(old).hexdigest()
    assert manifest["count"] == app.head()
    assert verify_export(tmp_path).ok
    assert b"bob@example.com" not in new
    assert b"carol@example.com" in new
    assert fmt == "csv" or 'Carol \\"C\\" Ünal\\\\ 🧾'.encode() in new


def test_the_fast_path_selects_what_the_records_select(durable_store_url: str) -> None:
    app = _store(durable_store_url)
    log = AuditLog(app.recorder, app.sealer)
    acme = str(app.user("alice").company_id)
    now = instant()
    scopes = [
        {"company_id": acme},
        {"after": 5, "until": app.head() - 2},
        {"company_id": acme, "after": 7},
        {"since": now - timedelta(days=1), "before": now + timedelta(days=1)},
        {"since": now + timedelta(days=1)},
    ]
    for scope in scopes:
        old = [record.canonical() for record in log.records(**scope)]  # type: ignore[arg-type]
        assert list(log.canonical(**scope)) == old, scope  # type: ignore[arg-type]


@given(
    st.lists(
        st.dictionaries(
            st.text(max_size=5),
            st.text() | st.integers(-(2**63), 2**63 - 1) | st.none(),
            max_size=4,
        ),
        max_size=40,
    ),
    st.integers(min_value=1, max_value=3000),
)
def test_the_chained_lines_are_the_lines_one_by_one(
    payloads: list[dict[str, object]], chunk: int
) -> None:
    """The JSON Lines loop chains, counts and digests as `line` does, whatever the chunk."""
    records = [
        Canonical(n, orjson.dumps({"payload": p, "position": n}, option=orjson.OPT_SORT_KEYS))
        for n, p in enumerate(payloads, start=1)
    ]
    old, old_head = _old_export(records, "jsonl")
    writer = ChainedWriter("jsonl")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("projections.audit.export.WRITE_CHUNK", chunk)
        new = b"".join(writer.lines(records))
    assert new == old
    assert (writer.head.hex(), writer.count) == (old_head, len(records))
    assert (writer.first, writer.last) == ((1, len(records)) if records else (None, None))
    assert writer._digest.hexdigest() == hashlib.sha256(old).hexdigest()
