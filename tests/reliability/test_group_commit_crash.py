"""Issue 21, item 3: `kill -9` of a process while its batches are in flight.

Every command it acknowledged is stored, at the positions it was answered; nothing is
stored that it did not ask for; and every stored command is whole (both of its events):
a crash mid-batch loses only commands that were never acknowledged, and never half of one.
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path
from uuid import UUID

from eventsourcing.application import Application

from store.url import eventsourcing_env

ROOT = Path(__file__).resolve().parents[2]
ACKNOWLEDGED_BEFORE_KILL = 300
DEADLINE_SECONDS = 120


class Lines:
    """The writer's output lines, read on a thread of their own."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, args=(process,), daemon=True)
        self._reader.start()

    def _read(self, process: subprocess.Popen[str]) -> None:
        assert process.stdout is not None
        for line in process.stdout:
            self.lines.append(line.strip())

    def enough(self) -> bool:
        acks = sum(line.startswith("ack ") for line in self.lines)
        return acks >= ACKNOWLEDGED_BEFORE_KILL and "batched" in self.lines

    def finish(self) -> list[str]:
        self._reader.join(DEADLINE_SECONDS)
        return list(self.lines)


def test_kill_9_mid_batch_loses_only_unacknowledged_commands(durable_store_url: str) -> None:
    Application[UUID](env=eventsourcing_env(durable_store_url)).close()  # the tables
    writer = subprocess.Popen(
        [sys.executable, "-m", "tests.reliability.batch_writer", durable_store_url],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    lines = Lines(writer)
    deadline = time.monotonic() + DEADLINE_SECONDS
    try:
        while not lines.enough():
            assert writer.poll() is None, "the writer died by itself"
            assert time.monotonic() < deadline, "the writer never batched enough commands"
            time.sleep(0.02)
    finally:
        writer.kill()  # SIGKILL: mid-batch, the writers never stop
        writer.wait()
    said = lines.finish()
    asked = {UUID(line.split()[1]) for line in said if line.startswith("ask ")}
    acknowledged = {
        UUID(words[1]): [int(p) for p in words[2:]]
        for words in (line.split() for line in said)
        if words[0] == "ack"
    }
    stored = _stored(durable_store_url)
    for originator, positions in acknowledged.items():
        assert stored.get(originator) == positions, f"acknowledged command {originator} lost"
    assert set(stored) <= asked, "a command nobody asked for was stored"
    assert all(len(p) == 2 for p in stored.values()), "a command was stored in part"
    assert len(stored) >= len(acknowledged)


def _stored(url: str) -> dict[UUID, list[int]]:
    """Each stored originator's positions, in version order."""
    app = Application[UUID](env=eventsourcing_env(url))
    try:
        notifications = app.recorder.select_notifications(1, 1_000_000)
    finally:
        app.close()
    stored: dict[UUID, list[int]] = {}
    for n in sorted(notifications, key=lambda n: (n.originator_version, n.id)):
        stored.setdefault(UUID(str(n.originator_id)), []).append(n.id)
    return stored
