"""Issue 20: the invoices' segments, each at its own pace while the history goes on (one
ahead of the other, then behind; pages of different sizes, so a page holds invoices of
the other segment it has or has not stored yet), together equal the whole projection as a
rebuild makes it, on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

from projections.runner import Runner, rebuild
from tests.integration.projections_support import dump, stack
from tests.postgres import PostgresServer
from tests.property.backends import on_both_backends
from tests.property.projections_history import History, histories

PAGES = (3, 5)
"""Each segment's page size: different, so their pages never line up."""


def _segments_at_any_pace_equal_a_rebuild(
    kind: str, server: PostgresServer | None, tmp_path: Path, steps: list[tuple[int, int, int, int]]
) -> None:
    """After each step of the history, 0 to 2 pages of one segment (which, and how many,
    drawn with the step), then both caught up: the same rows as a rebuild."""
    with stack(kind, tmp_path, server) as s:
        history = History(s.app)
        segments = [
            Runner(s.db, s.app, [f"invoices/{i}"], page_size=p) for i, p in enumerate(PAGES)
        ]
        for op, a, b, c in steps:
            history.play([(op, a, b, c)])
            for _ in range(b % 3):
                segments[(a + c) % 2].step()
        for segment in segments:
            segment.catch_up()
        live = dump(s.db, ("invoices",))
        rebuild(s.db, s.app, "invoices", page_size=4)
        assert dump(s.db, ("invoices",)) == live


TestInvoiceSegmentsAtAnyPaceEqualARebuild = on_both_backends(
    _segments_at_any_pace_equal_a_rebuild, histories
)
