"""C3: a verification or an export that fails, early or late, leaves nothing running: its
digest thread is stopped and the child walking the second half is reaped (session 10)."""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from projections.audit import verify
from projections.audit.chain import Signer, new_private_pem
from projections.audit.export import write_export
from projections.audit.records import AuditLog
from projections.audit.verify import verify_export
from tests.audit_world import ACCOUNT, center, company, issue

Lines = list[bytes]


@cache
def _source(root: Path) -> Path:
    app = center()
    company(app)
    for number in range(3):
        issue(app, ACCOUNT, f"INV-{number}")
    folder = root / "export"
    write_export(AuditLog(app.recorder, app.sealer).records(), folder, Signer(new_private_pem()))
    return folder


@pytest.fixture
def export(tmp_path_factory: pytest.TempPathFactory, tmp_path: Path) -> Path:
    """A copy of one small JSON Lines export, for this test to tamper with."""
    folder = tmp_path / "export"
    shutil.copytree(_source(tmp_path_factory.getbasetemp()), folder)
    return folder


@pytest.fixture(params=["alone", "in halves"])
def walk(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """The file walked here alone, or in two halves at once (one in a child process)."""
    if request.param == "in halves":
        monkeypatch.setattr(verify, "PARALLEL_BYTES", 0)
        monkeypatch.setattr(verify, "_may_fork", lambda: True)
    return str(request.param)


def _digest_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("digest")]


def _children() -> list[int]:
    """This process's children, running or ended and not yet reaped (zombies): from /proc,
    since `multiprocessing.active_children()` would reap the ended ones itself. Compared
    before and after: in the whole suite a worker has children of its own (a PostgreSQL)."""
    mine = str(os.getpid())
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # ended meanwhile
            continue
        if fields[1] == mine:
            found.append(int(stat.parent.name))
    return sorted(found)


def _rewrite(folder: Path, change: Callable[[Lines], Lines]) -> None:
    path = folder / "events.jsonl"
    path.write_bytes(b"".join(change(path.read_bytes().splitlines(keepends=True))))


TAMPERINGS: dict[str, Callable[[Lines], Lines]] = {
    "the last record dropped": lambda lines: lines[:-1],
    "a record appended twice": lambda lines: [*lines, lines[-1]],
    "a malformed line": lambda lines: [lines[0], b"{not json\n", *lines[2:]],
    "a record removed in the middle": lambda lines: [lines[0], *lines[2:]],
}


@pytest.mark.usefixtures("walk")
@pytest.mark.parametrize("tampering", TAMPERINGS)
def test_a_failed_verification_leaves_no_digest_thread_nor_child(
    export: Path, tampering: str
) -> None:
    _rewrite(export, TAMPERINGS[tampering])
    before = _children()
    assert not verify_export(export).ok
    assert _digest_threads() == []
    assert _children() == before


@pytest.mark.usefixtures("walk")
def test_a_verification_whose_walk_fails_reading_stops_its_digest_and_child(
    export: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    walk_part = verify._walk_part

    def unreadable_start(path: Path, start: int, end: int, digest: Any = None) -> Any:
        if start == 0:
            raise OSError("the disk went away")
        return walk_part(path, start, end, digest)

    monkeypatch.setattr(verify, "_walk_part", unreadable_start)
    before = _children()
    assert "the disk went away" in str(verify_export(export).problem)
    assert _digest_threads() == []
    assert _children() == before


def test_a_verification_that_holds_leaves_no_digest_thread(export: Path, walk: str) -> None:
    assert verify_export(export).ok, walk
    assert _digest_threads() == []


def test_an_export_that_fails_midway_leaves_no_digest_thread(tmp_path: Path) -> None:
    """The store goes away while the records are read: the export raises, and its digest's
    thread (which writes the file) is stopped."""
    app = center()
    company(app)
    records = AuditLog(app.recorder, app.sealer).records()

    def failing() -> Any:
        yield next(iter(records))
        raise OSError("the store went away")

    with pytest.raises(OSError, match="went away"):
        write_export(failing(), tmp_path / "export", Signer(new_private_pem()))
    assert _digest_threads() == []
