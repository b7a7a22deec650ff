"""C3: exports of the event log with a signed hash chain, in JSON Lines or CSV.

An export is a folder (or, over HTTP, a zip of the same three files):
`events.jsonl` or `events.csv`, `manifest.json`, `public-key.pem`. Every record carries
`prev` and `chain` (its link: SHA-256 of `prev` + the record's canonical bytes), so a
verifier names the first record that does not fit; the manifest holds the count, the
first and last position, the chain's head and the events file's digest, signed with the
export key. The canonical bytes of a record are the same whatever the format, so JSONL and
CSV exports of the same events have the same chain. CSV cells a spreadsheet would run as a
formula (a login such as `=cmd`) start with `'` (`projections.spreadsheet`, reversed by the
verifier); the JSONL export keeps every value exact.
"""

from __future__ import annotations

import csv
import hashlib
import io
import zipfile
from binascii import hexlify
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import orjson

from projections.audit.chain import GENESIS, BackgroundDigest, Signer, canonical, fingerprint
from projections.audit.records import AuditRecord, Canonical
from projections.spreadsheet import neutralised

Format = Literal["jsonl", "csv"]
COLUMNS = (
    "position", "recorded_at", "type", "aggregate_id", "version", "company_id",
    "actor", "correlation_id", "payload", "prev", "chain",
)  # fmt: skip
MANIFEST = "manifest.json"
PUBLIC_KEY = "public-key.pem"
WRITE_CHUNK = 1 << 20
"""Lines are written (and fed to the file's digest) about a megabyte at a time."""
Exportable = AuditRecord | Canonical | tuple[int, bytes]
"""A record, or its position and canonical bytes (`AuditLog.canonical`)."""
_JSONL_LINE = b'%b,"prev":"%b","chain":"%b"}\n'
"""A JSON Lines record: its canonical bytes without their closing brace, then its links."""


def events_file(fmt: Format) -> str:
    """The name of the events file of a format."""
    return f"events.{fmt}"


@dataclass(frozen=True)
class ExportScope:
    """What an export covers: one company or all, in a period (bounds included)."""

    company_id: str | None = None
    since: datetime | None = None
    until: datetime | None = None


class ChainedWriter:
    """Turns records into the lines of an events file, chaining them as it goes."""

    def __init__(self, fmt: Format, sink: Callable[[bytes], object] | None = None) -> None:
        """`sink`, if given, gets every chunk (a file's `write`) on the digest's thread."""
        self.fmt = fmt
        self.head = GENESIS
        self._stated = GENESIS.hex().encode()
        self.count = 0
        self.first: int | None = None
        self.last: int | None = None
        self._digest = BackgroundDigest(sink=sink)

    def close(self) -> None:
        """Stop the digest's thread (nothing left to do after `manifest`)."""
        self._digest.close()

    def header(self) -> bytes:
        """The file's first bytes (CSV: the column names)."""
        return self._digested(_csv_line(COLUMNS) if self.fmt == "csv" else b"")

    def line(self, record: Exportable) -> bytes:
        """The record's line, chained to the previous one (not yet in the file's digest)."""
        position, data = record.canonical() if isinstance(record, AuditRecord) else record
        previous, stated = self.head, self._stated
        step = hashlib.sha256(previous)
        step.update(data)
        self.head = step.digest()
        self._stated = self.head.hex().encode()
        self.count += 1
        if self.first is None:
            self.first = position
        self.last = position
        if self.fmt == "jsonl":
            return b"".join((data[:-1], b',"prev":"', stated, b'","chain":"', self._stated,
                             b'"}\n'))  # fmt: skip
        return self._csv_row(data, previous)

    def lines(self, records: Iterable[Exportable]) -> Iterator[bytes]:
        """The records' lines, in chunks of about `WRITE_CHUNK` bytes fed to the digest."""
        if self.fmt == "jsonl":
            yield from self._jsonl_lines(records)
            return
        chunk: list[bytes] = []
        size = 0
        for record in records:
            line = self.line(record)
            chunk.append(line)
            size += len(line)
            if size >= WRITE_CHUNK:
                yield self._digested(b"".join(chunk))
                chunk, size = [], 0
        if chunk:
            yield self._digested(b"".join(chunk))

    def _jsonl_lines(self, records: Iterable[Exportable]) -> Iterator[bytes]:
        """`lines` for JSON Lines in one loop (issue 21: what `line` does, without a call
        per record), the writer's state brought up to date before each chunk is yielded.

        A link hashes `previous + data` in one call, and a line is one bytes formatting:
        each saved a tenth of the loop's CPU (100,000 audit records, 0.178 -> 0.145 s)."""
        sha256 = hashlib.sha256
        head, stated, count, first, last = self.head, self._stated, self.count, self.first, 0
        chunk: list[bytes] = []
        size = 0
        for record in records:
            last, data = record.canonical() if isinstance(record, AuditRecord) else record
            if first is None:
                first = last
            head = sha256(head + data).digest()
            chained = hexlify(head)
            line = _JSONL_LINE % (data[:-1], stated, chained)
            stated = chained
            chunk.append(line)
            size += len(line)
            if size >= WRITE_CHUNK:
                count += len(chunk)
                self.head, self._stated, self.count, self.first, self.last = (
                    head, stated, count, first, last)  # fmt: skip
                yield self._digested(b"".join(chunk))
                chunk, size = [], 0
        if chunk:
            count += len(chunk)
            self.head, self._stated, self.count, self.first, self.last = (
                head, stated, count, first, last)  # fmt: skip
            yield self._digested(b"".join(chunk))

    def _csv_row(self, data: bytes, previous: bytes) -> bytes:
        fields = orjson.loads(data)
        row = [fields[c] for c in COLUMNS[:-3]]
        payload = canonical(fields["payload"]).decode()
        row = [*row, payload, previous.hex(), self.head.hex()]
        return _csv_line([_cell(v) for v in row])

    def _digested(self, data: bytes) -> bytes:
        self._digest.update(data)
        return data

    def manifest(self, scope: ExportScope, signer: Signer) -> dict[str, Any]:
        """The signed manifest of what was written."""
        body: dict[str, Any] = {
            "format": self.fmt,
            "file": events_file(self.fmt),
            "count": self.count,
            "first_position": self.first,
            "last_position": self.last,
            "company": scope.company_id,
            "from": scope.since.isoformat() if scope.since else None,
            "to": scope.until.isoformat() if scope.until else None,
            "created_at": datetime.now(UTC).isoformat(),
            "hash": "sha256(prev + canonical record JSON)",
            "chain_seed": GENESIS.hex(),
            "chain_head": self.head.hex(),
            "file_sha256": self._digest.hexdigest(),
            "signature_algorithm": "Ed25519",
            "public_key_sha256": fingerprint(signer.public_pem()),
        }
        return {**body, "signature": signer.sign(canonical(body))}


def _cell(value: Any) -> Any:
    """A CSV cell: nothing for None, text never a formula."""
    if value is None:
        return ""
    return neutralised(value) if isinstance(value, str) else value


def _csv_line(values: Iterable[Any]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow(values)
    return buffer.getvalue().encode()


Progress = Callable[[int], None]
"""Told the last position written, a chunk at a time."""


def write_export(
    records: Iterable[Exportable],
    out: Path,
    signer: Signer,
    *,
    fmt: Format = "jsonl",
    scope: ExportScope | None = None,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Write an export folder; its manifest.

    The events file is written by the digest's thread, as the chunks are digested (issue
    21: the writes leave the loop that encodes and chains)."""
    out.mkdir(parents=True, exist_ok=True)
    with (out / events_file(fmt)).open("wb") as file:
        writer = ChainedWriter(fmt, sink=file.write)
        try:
            writer.header()
            for _ in writer.lines(records):
                if progress and writer.last is not None:
                    progress(writer.last)
            manifest = writer.manifest(scope or ExportScope(), signer)  # every chunk written
        finally:  # an export that failed (the store went away) leaves no digest thread
            writer.close()
    (out / MANIFEST).write_bytes(_pretty(manifest))
    (out / PUBLIC_KEY).write_bytes(signer.public_pem())
    return manifest


def _pretty(manifest: dict[str, Any]) -> bytes:
    return orjson.dumps(manifest, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS) + b"\n"


class _Sink(io.RawIOBase):
    """A write-only, unseekable stream that hands its bytes on in chunks."""

    def __init__(self) -> None:
        self.chunks: list[bytes] = []

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        self.chunks.append(bytes(data))
        return len(data)

    def drain(self) -> bytes:
        data = b"".join(self.chunks)
        self.chunks.clear()
        return data


def zipped_export(
    records: Iterable[Exportable], signer: Signer, *, fmt: Format, scope: ExportScope
) -> Iterator[bytes]:
    """The export folder as a zip, streamed chunk by chunk (constant memory)."""
    sink = _Sink()
    writer = ChainedWriter(fmt)
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        with archive.open(events_file(fmt), "w", force_zip64=True) as entry:
            entry.write(writer.header())
            for chunk in writer.lines(records):
                entry.write(chunk)
                yield sink.drain()
        archive.writestr(MANIFEST, _pretty(writer.manifest(scope, signer)))
        archive.writestr(PUBLIC_KEY, signer.public_pem())
    yield sink.drain()
