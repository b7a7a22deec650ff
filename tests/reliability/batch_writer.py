"""`python -m tests.reliability.batch_writer URL`: a process that keeps batches in flight.

Eight threads write commands of two events each through the service's recorder (the
batched writer) as fast as they can, printing `ask ID` before each command and
`ack ID POSITION POSITION` once it is answered; `batched` once a transaction has held more
than one command. tests/reliability/test_group_commit_crash.py kills it with -9.
"""

from __future__ import annotations

import sys
import threading
from uuid import UUID, uuid4

from eventsourcing.application import Application
from eventsourcing.persistence import StoredEvent

from store.url import eventsourcing_env

WRITERS = 8
TOPIC = "tests:Happened"


def main() -> None:
    app = Application[UUID](env=eventsourcing_env(sys.argv[1]))
    recorder = app.recorder
    group = getattr(recorder, "_group", None)
    printing = threading.Lock()
    said_batched = threading.Event()

    def say(line: str) -> None:
        with printing:
            sys.stdout.write(line + "\n")
            sys.stdout.flush()

    def write() -> None:
        while True:
            originator = uuid4()
            say(f"ask {originator}")
            events = [StoredEvent(originator, v, TOPIC, b'{"n":1}') for v in (1, 2)]
            ids = recorder.insert_events(events) or []
            say(f"ack {originator} {' '.join(map(str, ids))}")
            batched = group is not None and group.commands > group.transactions
            if batched and not said_batched.is_set():
                said_batched.set()
                say("batched")

    threads = [threading.Thread(target=write, daemon=True) for _ in range(WRITERS)]
    for thread in threads:
        thread.start()
    threading.Event().wait()


if __name__ == "__main__":
    main()
