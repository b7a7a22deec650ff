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
from binascii import hexlify
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

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
    digest: Any = BackgroundDigest()
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
READ_CHUNK = 1 << 20


def _fast_walk(path: Path, digest: Any, verdict: Verdict) -> bytes | None:
    """The chain's head if every line is exactly as the exporter writes it (canonical
    bytes, then its links) and chains to the one before; None at the first line that is
    not, for `_walk` to name. One hash per line over the bytes as they are: no parsing, and
    (issue 21) no call per line but the hash's own and one comparison of the line's links
    with the ones it must end with (0.22 -> 0.18 s of CPU for 200,000 records)."""
    head, count, sha256, join = GENESIS, 0, hashlib.sha256, b"".join
    stated = hexlify(head)
    opening, middle, closing = _LINKS
    for lines in _raw_pages(path, digest):
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
    verdict.records = count
    return head


def _raw_pages(path: Path, digest: Any) -> Iterator[list[bytes]]:
    """The file's lines (without newlines), a megabyte's worth at a time, read into
    `digest`; an empty line last if the file does not end with a newline."""
    rest = b""
    with path.open("rb") as raw:
        while block := raw.read(READ_CHUNK):
            digest.update(block)
            lines = (rest + block).split(b"\n")
            rest = lines.pop()
            yield lines
    if rest:
        yield [b""]


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
