"""C3: every alteration, drop, insertion or reordering of an export's records is caught,
and the verifier names the first record concerned."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterator
from functools import cache
from pathlib import Path
from unittest.mock import patch

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.values import Role
from projections.audit import verify
from projections.audit.chain import GENESIS, Signer, canonical, link, new_private_pem
from projections.audit.export import Format, write_export
from projections.audit.records import AuditLog
from projections.audit.verify import verify_export
from tests.audit_world import ACCOUNT, add_user, center, company, issue

Lines = list[bytes]


@cache
def exported(fmt: Format) -> Path:
    """One export of a small history (made once per format)."""
    app = center()
    cid = company(app)
    for login in ("bob", "carol"):
        add_user(app, cid, login, Role.VIEW_ONLY, accounts=(ACCOUNT,))
    for number in range(3):
        issue(app, ACCOUNT, f"INV-{number}")
    folder = Path(tempfile.mkdtemp(prefix=f"export-{fmt}-"))
    write_export(AuditLog(app.recorder, app.sealer).records(), folder, Signer(new_private_pem()),
                 fmt=fmt)  # fmt: skip
    return folder


def _tampered(fmt: Format, change: Callable[[Lines], Lines]) -> str | None:
    source = exported(fmt)
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch) / "export"
        shutil.copytree(source, folder)
        path = folder / f"events.{fmt}"
        header, body = _split(fmt, path.read_bytes().splitlines(keepends=True))
        path.write_bytes(b"".join(header + change(body)))
        problem = verify_export(folder).problem
        with _in_halves():
            assert verify_export(folder).problem == problem, "the halves' verdict differs"
        return problem


@contextlib.contextmanager
def _in_halves() -> Iterator[None]:
    """Any export walked in two halves at once, even if an earlier test left a thread running
    in this process (the guard against forking then is `test_an_export_is_walked_alone_...`)."""
    with patch.object(verify, "PARALLEL_BYTES", 0), patch.object(verify, "_may_fork", lambda: True):
        yield


def _split(fmt: Format, lines: Lines) -> tuple[Lines, Lines]:
    return (lines[:1], lines[1:]) if fmt == "csv" else ([], lines)


def _count(fmt: Format) -> int:
    return len(_split(fmt, (exported(fmt) / f"events.{fmt}").read_bytes().splitlines())[1])


formats = st.sampled_from(["jsonl", "csv"])


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_an_untouched_export_verifies(fmt: Format) -> None:
    assert _tampered(fmt, lambda body: body) is None


def test_an_untouched_export_verifies_in_two_halves_at_once() -> None:
    """Issue 21: a large export's second half is walked in a child process (the standard
    library's, started by fork); the halves meet without the slow walk."""
    forks: list[int] = []
    real_fork = os.fork

    def fork() -> int:
        forks.append(pid := real_fork())
        return pid

    with (
        _in_halves(),
        patch.object(os, "fork", fork),
        patch.object(verify, "_walk", lambda *_: pytest.fail("walked the slow way")),
    ):
        verdict = verify_export(exported("jsonl"))
    assert verdict.ok, verdict.problem
    assert verdict.records == _count("jsonl")
    assert len(forks) == 1


def test_an_export_is_walked_alone_while_another_thread_runs() -> None:
    """Issue 21: a fork would keep whatever lock the other thread holds (Python 3.12 warns)."""
    forks: list[int] = []

    def fork() -> int:
        forks.append(1)
        raise OSError("forked with another thread alive")

    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        with patch.object(verify, "PARALLEL_BYTES", 0), patch.object(os, "fork", fork):
            verdict = verify_export(exported("jsonl"))
    finally:
        stop.set()
        other.join()
    assert verdict.ok, verdict.problem
    assert verdict.records == _count("jsonl")
    assert forks == []


def test_an_export_verifies_in_one_walk_when_no_process_can_be_forked() -> None:
    def no_fork() -> int:
        raise OSError("Resource temporarily unavailable")

    with _in_halves(), patch.object(os, "fork", no_fork):
        verdict = verify_export(exported("jsonl"))
    assert verdict.ok, verdict.problem
    assert verdict.records == _count("jsonl")


@given(formats, st.data())
def test_an_altered_record_is_named(fmt: Format, data: st.DataObject) -> None:
    index = data.draw(st.integers(0, _count(fmt) - 1))
    replacement = data.draw(st.sampled_from([b"mallory", b"1", b"[erased]"]))

    def alter(body: Lines) -> Lines:
        line = body[index]
        target = b"billing-system:ledger" if b"billing-system:ledger" in line else b"alice"
        changed = line.replace(target, replacement, 1) if target in line else b"x" + line
        return [*body[:index], changed, *body[index + 1 :]]

    problem = _tampered(fmt, alter)
    assert problem is not None
    assert f"record {index + 1} " in problem


@given(formats, st.data())
def test_a_dropped_record_is_caught_at_the_next_one(fmt: Format, data: st.DataObject) -> None:
    index = data.draw(st.integers(0, _count(fmt) - 1))
    problem = _tampered(fmt, lambda body: body[:index] + body[index + 1 :])
    assert problem is not None
    assert "dropped" in problem


@given(formats, st.data())
def test_an_inserted_record_is_caught(fmt: Format, data: st.DataObject) -> None:
    count = _count(fmt)
    source = data.draw(st.integers(0, count - 1))
    where = data.draw(st.integers(0, count))

    def insert(body: Lines) -> Lines:
        return [*body[:where], body[source], *body[where:]]

    problem = _tampered(fmt, insert)
    assert problem is not None
    assert f"record {where + 1} " in problem or "inserted" in problem


@given(formats, st.data())
def test_reordered_records_are_caught(fmt: Format, data: st.DataObject) -> None:
    count = _count(fmt)
    first = data.draw(st.integers(0, count - 2))
    second = data.draw(st.integers(first + 1, count - 1))

    def swap(body: Lines) -> Lines:
        body = list(body)
        body[first], body[second] = body[second], body[first]
        return body

    problem = _tampered(fmt, swap)
    assert problem is not None
    assert f"record {first + 1} " in problem


def test_a_rechained_rewrite_fails_on_the_signed_head() -> None:
    def rewrite(body: Lines) -> Lines:
        previous, out = GENESIS, []
        for line in body:
            fields = orjson.loads(line)
            fields.pop("prev"), fields.pop("chain")
            fields["actor"] = "mallory"
            chain = link(previous, canonical(fields))
            fields.update(prev=previous.hex(), chain=chain.hex())
            out.append(canonical(fields) + b"\n")
            previous = chain
        return out

    problem = _tampered("jsonl", rewrite)
    assert problem is not None
    assert "signed manifest" in problem


def test_a_forged_manifest_fails_its_signature() -> None:
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch) / "export"
        shutil.copytree(exported("jsonl"), folder)
        manifest = orjson.loads((folder / "manifest.json").read_bytes())
        manifest["count"] -= 1
        (folder / "manifest.json").write_bytes(orjson.dumps(manifest))
        problem = verify_export(folder).problem
    assert problem is not None
    assert "signature" in problem
