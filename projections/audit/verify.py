"""C3: offline verification of an export folder, with only its files and a public key.

It names the first record that does not fit: altered (its content no longer matches its
own link), inserted, duplicated, reordered, or preceded by a dropped record; then checks
the count, the chain's head and the file's digest against the signed manifest. Memory
stays constant: one record of look-ahead.
"""

from __future__ import annotations

import csv
import hashlib
import io
import multiprocessing
import threading
from binascii import hexlify, unhexlify
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import partial
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, Final

import orjson

from projections.audit.chain import (
    GENESIS,
    BackgroundDigest,
    canonical,
    fingerprint,
    link,
    signature_holds,
)
from projections.audit.export import COLUMNS, MANIFEST, PUBLIC_KEY
from projections.spreadsheet import restored


@dataclass
class Verdict:
    """The outcome: `ok`, how many records were checked, and what is wrong if not."""

    records: int = 0
    problem: str | None = None
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Whether everything verified."""
        return self.problem is None


@dataclass(frozen=True)
class ExportLine:
    """One record as read back: its number in the file, fields, and stated links."""

    number: int
    fields: dict[str, Any] | None
    prev: bytes
    chain: bytes

    @property
    def position(self) -> Any:
        return self.fields.get("position") if self.fields else None

    def label(self) -> str:
        return f"record {self.number} (position {self.position})"

    def intact(self) -> bool:
        """Whether its content still matches its own link."""
        return self.fields is not None and link(self.prev, canonical(self.fields)) == self.chain


def verify_export(folder: Path, public_key: Path | None = None) -> Verdict:
    """Verify the export in `folder` against `public_key` (default: the one in the folder)."""
    verdict = Verdict()
    if public_key is None:
        public_key = folder / PUBLIC_KEY
        verdict.warnings.append(
            "using the public key found in the export folder: only a key obtained "
            "separately proves who signed it"
        )
    try:
        manifest = orjson.loads((folder / MANIFEST).read_bytes())
        pem = public_key.read_bytes()
    except (OSError, orjson.JSONDecodeError) as error:
        verdict.problem = f"cannot read the manifest or public key: {error}"
        return verdict
    body = {k: v for k, v in manifest.items() if k != "signature"}
    if not signature_holds(pem, canonical(body), str(manifest.get("signature", ""))):
        verdict.problem = "the manifest's signature does not hold for this public key"
        return verdict
    if manifest.get("public_key_sha256") != fingerprint(pem):
        verdict.warnings.append("the manifest names another public key fingerprint")
    _check_records(folder / str(manifest["file"]), str(manifest["format"]), manifest, verdict)
    return verdict


def _check_records(path: Path, fmt: str, manifest: dict[str, Any], verdict: Verdict) -> None:
    """The records against the manifest; the digest's thread stops on every way out, a
    failure or an exception included (session 10: it was left running)."""
    background = BackgroundDigest()
    try:
        _check_with(background, path, fmt, manifest, verdict)
    finally:
        background.close()


def _check_with(
    digest: Any, path: Path, fmt: str, manifest: dict[str, Any], verdict: Verdict
) -> None:
    try:
        head = _fast_walk(path, digest, verdict) if fmt == "jsonl" else None
        if head is None:  # a line not as the exporter writes it: name it the slow way
            digest.hexdigest()  # lets its thread go
            digest, verdict.records = hashlib.sha256(), 0
            head = _walk(list_lines(path, fmt, digest), verdict)
    except (OSError, UnicodeDecodeError) as error:
        verdict.problem = f"cannot read {path.name}: {error}"
        return
    if verdict.problem:
        return
    count = int(manifest["count"])
    if verdict.records < count:
        verdict.problem = (
            f"{count - verdict.records} record(s) dropped after record {verdict.records}"
        )
    elif verdict.records > count:
        verdict.problem = f"record {count + 1} and after were inserted at the end"
    elif head.hex() != manifest["chain_head"]:
        verdict.problem = "the chain's head differs from the signed manifest: records rewritten"
    elif digest.hexdigest() != manifest["file_sha256"]:
        verdict.problem = f"{path.name} was altered outside the records (its digest differs)"


_LINKS = (b',"prev":"', b'","chain":"', b'"}')
_TAIL = sum(map(len, _LINKS)) + 128
"""The bytes after a record's canonical form: `,"prev":"<hex>","chain":"<hex>"}`."""
_PREV = slice(-_TAIL + len(_LINKS[0]), -_TAIL + len(_LINKS[0]) + 64)
"""Where a line states its `prev` link (hex)."""
READ_CHUNK = 1 << 20
PARALLEL_BYTES = 8 << 20
"""A JSON Lines file of at least this size is walked in two halves at once (issue 21)."""
Walked = tuple[int, bytes, bytes]
"""A run of lines that chain: how many, the first one's stated `prev` (hex), the last link."""


def _fast_walk(path: Path, digest: Any, verdict: Verdict) -> bytes | None:
    """The chain's head if every line is exactly as the exporter writes it (canonical
    bytes, then its links) and chains to the one before; None at the first line that is
    not, for `_walk` to name. A large file is walked in two halves at once (issue 21: the
    walk is one core's hashing, a call per line, so a 100,000-record verify took 0.16 s of
    one core): the second half in a child process, which checks that its lines chain from
    the `prev` its first line states; this process walks the first half while a thread
    hashes the whole file; the halves must meet (the first half's head is the `prev` the
    second half starts from)."""
    size = path.stat().st_size
    split = _middle(path, size) if size >= PARALLEL_BYTES and _may_fork() else 0
    second = _forked(partial(_walk_part, path, split, size)) if split else None
    if second is None:
        walked = _walk_part(path, 0, size, digest)
        return _counted(verdict, walked) if _genesis_first(walked) else None
    digest.update_from(path)
    try:
        first = _walk_part(path, 0, split)
    finally:
        rest = second()  # the child is reaped even if this half raised
    if not (_genesis_first(first) and first and rest and hexlify(first[2]) == rest[1]):
        return None
    return _counted(verdict, (first[0] + rest[0], first[1], rest[2]))


def _genesis_first(walked: Walked | None) -> bool:
    """Whether the lines chain from the genesis link (or there are none)."""
    return walked is not None and walked[1] in (b"", hexlify(GENESIS))


def _counted(verdict: Verdict, walked: Walked | None) -> bytes | None:
    if walked is None:
        return None
    verdict.records = walked[0]
    return walked[2]


def _walk_part(path: Path, start: int, end: int, digest: Any = None) -> Walked | None:
    """The lines of bytes `start` to `end` (a line's start, the file's end or a line's end),
    each chained to the one before it, the first to the `prev` it states. One hash per
    line over the bytes as they are: no parsing, and (issue 21) no call per line but the
    hash's own and one comparison of the line's links with the ones it must end with."""
    head, count, sha256, join = GENESIS, 0, hashlib.sha256, b"".join
    opening, middle, closing = _LINKS
    stated = first = b""
    for lines in _raw_pages(path, start, end, digest):
        if not count and lines:
            stated = first = lines[0][_PREV]
            try:
                head = unhexlify(first)
            except ValueError:  # binascii.Error: not a link
                return None
        for line in lines:
            body = len(line) - _TAIL
            step = sha256(head)
            step.update(line[:body])
            step.update(b"}")
            head = step.digest()
            chained = hexlify(head)
            if body <= 0 or not line.endswith(join((opening, stated, middle, chained, closing))):
                return None
            stated = chained
        count += len(lines)
    return count, first, head


def _raw_pages(path: Path, start: int, end: int, digest: Any) -> Iterator[list[bytes]]:
    """The lines (without newlines) of bytes `start` to `end`, a megabyte's worth at a
    time, read into `digest` if given; an empty line last if they do not end with one."""
    rest = b""
    with path.open("rb") as raw:
        raw.seek(start)
        left = end - start
        while left > 0 and (block := raw.read(min(READ_CHUNK, left))):
            left -= len(block)
            if digest is not None:
                digest.update(block)
            lines = block.split(b"\n")
            lines[0] = rest + lines[0]
            rest = lines.pop()
            yield lines
    if rest:
        yield [b""]


def _middle(path: Path, size: int) -> int:
    """Where the line after the file's middle starts (0 if none does before its end)."""
    with path.open("rb") as raw:
        raw.seek(size // 2)
        newline = raw.read(READ_CHUNK).find(b"\n")
    split = size // 2 + newline + 1 if newline >= 0 else 0
    return split if split < size else 0


START_METHOD: Final = "fork"
"""How the second half's process starts (issue 21), chosen by measure (README, Performance):
`fork` starts it in about 2 ms from this process's memory; `forkserver` and `spawn` start a
fresh interpreter that imports this module first, 0.4-0.6 s, more than the half saves below
about 100 MiB. Forking is safe only when no other thread runs (`_may_fork`)."""


def _may_fork() -> bool:
    """Whether this process may fork: it can, and runs no thread but this one. A forked
    child holds forever any lock another thread held at that instant (the standard
    streams' included, which the child flushes on its way out), and Python 3.12 warns:
    with other threads the file is walked here alone (`audit verify` forks before its
    digest thread starts)."""
    forks = START_METHOD in multiprocessing.get_all_start_methods()
    return forks and threading.active_count() == 1


def _forked(work: Callable[[], Walked | None]) -> Callable[[], Walked | None] | None:
    """Run `work` in a child process at once; the returned call waits for its outcome (None
    if it found a line that does not fit, or failed: the caller then walks it again here).
    None if no process could be made (the caller walks the whole file itself)."""
    start = multiprocessing.get_context(START_METHOD)
    answer, sender = start.Pipe(duplex=False)
    child = start.Process(target=_answer, args=(work, sender), daemon=True)
    try:
        child.start()
    except OSError:
        answer.close()
        return None
    finally:
        sender.close()  # the child's copy is the only writer: its end is our EOF

    def outcome() -> Walked | None:
        try:
            walked: Walked | None = answer.recv()
        except EOFError:  # the child ended without an answer
            walked = None
        finally:
            answer.close()
            child.join()
        return walked

    return outcome


def _answer(work: Callable[[], Walked | None], sender: Connection) -> None:
    """In the child: the walk's outcome, sent back (None if the file could not be read)."""
    try:
        walked = work()
    except OSError:
        walked = None
    sender.send(walked)


def _walk(lines: Iterator[ExportLine], verdict: Verdict) -> bytes:
    expected, before, last_position = GENESIS, GENESIS, -1
    current = next(lines, None)
    while current is not None:
        following = next(lines, None)
        if not current.intact():
            verdict.problem = f"{current.label()} was altered"
        elif current.prev != expected:
            verdict.problem = _misfit(current, following, expected, before, last_position)
        if verdict.problem:
            return expected
        verdict.records += 1
        before, expected = expected, current.chain
        last_position = int(current.position)
        current = following
    return expected


def _misfit(
    line: ExportLine,
    following: ExportLine | None,
    expected: bytes,
    before: bytes,
    last_position: int,
) -> str:
    """Why a record whose own link holds does not follow the one before it."""
    if line.chain == expected:
        return f"{line.label()} is a duplicate (inserted)"
    if following is not None and following.prev == expected:
        if following.chain == line.prev:
            return f"{line.label()} is out of order (reordered)"
        return f"{line.label()} was inserted"
    if line.prev == before:
        return f"record {line.number - 1} was inserted (before {line.label()})"
    if isinstance(line.position, int) and line.position <= last_position:
        return f"{line.label()} is out of order (reordered)"
    return f"a record was dropped before {line.label()}"


def list_lines(path: Path, fmt: str, digest: Any) -> Iterator[ExportLine]:
    """The records of an events file, one at a time, feeding `digest` with its bytes."""
    with path.open("rb") as raw:
        if fmt == "csv":
            yield from _csv_lines(raw, digest)
        else:
            for number, data in enumerate(raw, start=1):
                digest.update(data)
                yield _jsonl_line(number, data)


def _jsonl_line(number: int, data: bytes) -> ExportLine:
    try:
        fields = orjson.loads(data)
        prev, chain = bytes.fromhex(fields.pop("prev")), bytes.fromhex(fields.pop("chain"))
    except (orjson.JSONDecodeError, KeyError, ValueError, TypeError, AttributeError):
        return ExportLine(number, None, b"", b"")
    return ExportLine(number, fields, prev, chain)


def _csv_lines(raw: Any, digest: Any) -> Iterator[ExportLine]:
    text = io.TextIOWrapper(
        io.BufferedReader(_Digesting(raw, digest)), encoding="utf-8", newline=""
    )
    rows = csv.reader(text)
    if next(rows, None) != list(COLUMNS):
        yield ExportLine(0, None, b"", b"")
        return
    for number, row in enumerate(rows, start=1):
        yield _csv_line(number, row)


def _csv_line(number: int, row: list[str]) -> ExportLine:
    try:
        values = dict(zip(COLUMNS, map(restored, row), strict=True))
        fields: dict[str, Any] = {k: values[k] for k in COLUMNS[:-3]}
        fields["position"] = int(values["position"])
        fields["version"] = int(values["version"])
        fields["company_id"] = values["company_id"] or None
        fields["payload"] = orjson.loads(values["payload"])
        prev, chain = bytes.fromhex(values["prev"]), bytes.fromhex(values["chain"])
    except (ValueError, orjson.JSONDecodeError):
        return ExportLine(number, None, b"", b"")
    return ExportLine(number, fields, prev, chain)


class _Digesting(io.RawIOBase):
    """A reader that feeds a digest with every byte it reads."""

    def __init__(self, raw: Any, digest: Any) -> None:
        self._raw = raw
        self._digest = digest

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self._raw.read(len(buffer))
        self._digest.update(data)
        buffer[: len(data)] = data
        return len(data)
