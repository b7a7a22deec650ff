"""Figure 3's rows are read from what benchmarks/bulk_load.py prints (issue 4)."""

from __future__ import annotations

import pytest

from benchmarks import optional

PRINTED = [
    "wrote 1000008 events in bulk in 62.3 s (16042/s)",
    "all five together (one runner) 6038 events/s wall (165.6 s), 8800 events per CPU-second, "
    "peak RSS 99 MiB (98 MiB at 10%)",
    "directory alone (rebuild from 0) 21863 events/s wall (45.7 s), 25000 events per CPU-second",
    "audit alone (rebuild from 0) 11310 events/s wall (88.4 s), 17000 events per CPU-second",
    "outbox alone (rebuild from 0) 12992 events/s wall (77.0 s), 16000 events per CPU-second",
]


def test_the_slowest_projection_alone_and_all_five_together_are_read(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(optional, "_script", lambda *_: PRINTED)
    alone, together = optional._catch_up(small=False)
    assert (alone.value, together.value) == (11310, 6038)
    assert alone.note.startswith("audit; each: directory 21,863, audit 11,310, outbox 12,992")
    assert "1000008 events loaded in bulk" in together.note
    assert "peak RSS 99 MiB (98 at 10%)" in together.note


def test_a_script_that_failed_says_why_in_both_rows(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(optional, "_script", lambda *_: "timed out after 1000 s")
    assert [f.note for f in optional._catch_up(small=True)] == ["timed out after 1000 s"] * 2
