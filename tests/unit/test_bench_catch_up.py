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


PRINTED_BY = {
    "bulk_load": PRINTED,
    "http_history": [
        "GET billing history, 1600 requests at 200/s on PostgreSQL: p50 3.3 ms, p90 4.1 ms, "
        "p99 6.9 ms, max 9.0 ms; server CPU 2.10 ms per request (load generator 0.40 ms)"
    ],
    "audit": [
        "raw ordered psycopg scan: 1000000 rows in 5.76 s (173,634/s)",
        "export + hash: 1000012 records in 27.91 s (35,831/s), 21% of the raw scan's rate; "
        "child peak RSS 70 MiB",
        "verify: 1000012 records in 3.41 s (293,019/s) ok=True, median of 3 interleaved rounds",
        "by CPU: export 68% of the raw scan's rate, verify 712,461 records per CPU second",
        "state-as-of (company, 1000000 events, instant mid-history): median 10.8 ms, max 19.0 ms",
        "explain-access on a store of 1000012 events: median 18.0 ms, max 190.4 ms",
    ],
}


SOAK_PRINTED = [
    "warm-up, not counted: 800 requests in 2.0 s, p50 3.9 ms, p99 67.2 ms; p50/p99 ms by "
    "second: 1: 5/72, 2: 3/16",
    "sent 3200 (400/s), answered 3200, errors 0; p50 2.9 ms, p99 12.5 ms, max 20.5 ms; RSS "
    "399220 -> 404852 kB (+0.0% after warm-up); server CPU 1.80 ms per request (API 1.68, "
    "projections 0.12, PostgreSQL 0.49, load generator 0.26)",
    "p50/p99 ms by second: 1: 3/10, 2: 3/8, 3: 3/14, 4: 3/9, 5: 3/17, 6: 3/12, 7: 3/9, 8: 3/10",
]


def _printed(monkeypatch: pytest.MonkeyPatch) -> None:
    """The scripts answer PRINTED_BY, the soak SOAK_PRINTED (a real two-process server is
    not run)."""
    monkeypatch.setattr(optional, "_script", lambda module, *_: PRINTED_BY[module])
    monkeypatch.setattr(optional, "_soak", lambda *_: SOAK_PRINTED)


def test_every_postgres_figure_carries_its_own_name(monkeypatch: pytest.MonkeyPatch) -> None:
    """A new row once shifted every name after it onto its neighbour's value."""
    _printed(monkeypatch)
    found = {f.name: (f.value, f.unit) for f in optional.figures("postgres", str, 10**6, 8.0)}
    assert found == {
        optional.CATCH_UP_ALONE: (11310, "events/s"),
        optional.CATCH_UP_TOGETHER: (6038, "events/s"),
        optional.HTTP: (6.9, "ms"),
        optional.HTTP_MIXED: (12.5, "ms"),
        optional.HTTP_MIXED_COLD: (67.2, "ms"),
        optional.EXPORT: (35831, "records/s"),
        optional.VERIFY: (293019, "records/s"),
        optional.TIME_TRAVEL: (10.8, "ms"),
        optional.EXPLAIN: (18.0, "ms"),
        optional.EVENTS_SCAN: (173634, "rows/s"),
    }


def test_every_postgres_figure_carries_its_id_and_its_reference_id(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _printed(monkeypatch)
    found = {f.id: f.reference_id for f in optional.figures("postgres", str, 10**6, 8.0)}
    assert found == {
        "catchup_slowest": "", "catchup_all": "", "http_history_p99": "",
        "audit_export": "raw_scan_events", "audit_verify": "raw_scan_events",
        "time_travel": "", "explain_access": "", "raw_scan_events": "",
        "http_mixed_p99_2_processes": "", "http_mixed_p99_cold_start": "",
    }  # fmt: skip


def test_the_mixed_figure_is_the_measured_seconds_and_the_warm_up_is_reported_apart(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Issue 20: the p99 goal is the service's under steady load; a just-started service's
    first seconds are a figure of their own, never dropped silently."""
    _printed(monkeypatch)
    found = {f.id: f for f in optional.figures("postgres", str, 10**6, 8.0)}
    steady, cold = found["http_mixed_p99_2_processes"], found["http_mixed_p99_cold_start"]
    assert (steady.id, steady.value, steady.reference) == ("http_mixed_p99_2_processes", 12.5, 25)
    assert "3200 requests in 8 s after a 2-s warm-up" in steady.note
    assert (cold.id, cold.value) == ("http_mixed_p99_cold_start", 67.2)
    assert cold.note.startswith("p50 3.9 ms, the first 800 requests")


def test_a_soak_that_printed_no_figures_says_why(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(optional, "_soak", lambda *_: "timed out")
    assert [(f.value, f.note) for f in optional._http_mixed(3.0)] == [(None, "timed out")] * 2


def test_an_export_that_did_not_verify_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    printed = [line.replace("ok=True", "ok=False") for line in PRINTED_BY["audit"]]
    monkeypatch.setattr(optional, "_script", lambda *_: printed)
    verify = next(
        f for f in optional._audit(small=True) if f.id == "" and f.name == optional.VERIFY
    )
    assert verify.note == "the export did NOT verify"


def test_the_audit_figures_say_what_their_critical_path_cpu_predicts(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Issue 21, item 4: load stretches the wall clock; the CPU ratio is what it does not."""
    _printed(monkeypatch)
    notes = {f.name: f.note for f in optional._audit(small=True)}
    assert notes[optional.EXPORT] == (
        "1000012 records, peak RSS 70 MiB; by CPU on the critical path: 68% of the raw scan's rate"
    )
    assert notes[optional.VERIFY] == "by CPU on the critical path: 712,461 records per CPU second"


def test_two_workers_are_read_beside_the_one_runner(monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 20: `catchup_all_2_workers`, compared with the one runner of the same run."""
    printed = [*PRINTED, "catchup_all_2_workers 9057 events/s wall (110.4 s)"]
    monkeypatch.setattr(optional, "_script", lambda *_: printed)
    *_, two = optional._catch_up(small=False)
    assert (two.name, two.value, two.reference) == (optional.CATCH_UP_TWO_WORKERS, 9057, 6038)
    assert "runs: 9,057" in two.note


def test_both_catch_ups_measured_twice_side_by_side_count_all_their_runs(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Issue 20: one runner, two workers, two workers, one runner (`side_by_side`): each
    figure is its runs' events over their time together, and the note gives every run."""
    one_runner = PRINTED[1]
    printed = [
        PRINTED[0],
        one_runner.replace("6038", "4000"),
        "catchup_all_2_workers 9000 events/s wall (111.1 s)",
        "catchup_all_2_workers 6000 events/s wall (166.7 s)",
        *PRINTED[1:],
    ]
    monkeypatch.setattr(optional, "_script", lambda *_: printed)
    _, together, two = optional._catch_up(small=False)
    assert together.value == pytest.approx(2 / (1 / 4000 + 1 / 6038))
    assert "runs: 4,000, 6,038" in together.note
    assert (two.value, two.reference) == (7200, together.value)
    assert "runs: 9,000, 6,000" in two.note


def test_each_catch_up_run_says_how_many_cores_it_kept_busy_and_its_cpu_an_event(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Issue 20: the ratio of two workers to one runner reads against how much of the 2
    cores each used, so both notes carry every run's (as `bulk_load` prints them)."""
    spent = ", CPU 17.0 s runner + 10.5 s server, {} cores busy, {} us of CPU an event"
    printed = [
        PRINTED[0],
        PRINTED[1] + spent.format("1.11", "139"),
        "catchup_all_2_workers 9000 events/s wall (111.1 s), 1.89 cores busy, 132 us of CPU "
        "an event",
        "catchup_all_2_workers 6000 events/s wall (166.7 s), 1.74 cores busy, 142 us of CPU "
        "an event",
        PRINTED[1] + spent.format("1.07", "135"),
        *PRINTED[2:],
    ]
    monkeypatch.setattr(optional, "_script", lambda *_: printed)
    _, together, two = optional._catch_up(small=False)
    assert together.note.endswith("; cores busy: 1.11, 1.07; CPU an event: 139, 135 us")
    assert two.note.endswith("; cores busy: 1.89, 1.74; CPU an event: 132, 142 us")
