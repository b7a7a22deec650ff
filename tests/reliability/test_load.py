"""Issue 9, load: the soak generator itself, briefly (`make soak` runs it at 200 req/s, 60 s)."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from tests.reliability.procstat import context_switches
from tests.reliability.scrapes import LAGS, LATENCY, POSITION
from tests.reliability.soak import soak

pytestmark = pytest.mark.postgres


def test_a_short_mixed_load_answers_every_request_with_a_2xx(
    postgres_url: str, tmp_path: Path
) -> None:
    report = soak(rate=30, seconds=4, home=tmp_path, url=postgres_url)
    assert report.sent >= 100
    assert not report.errors, report.errors[:5]
    assert len(report.latencies) == report.sent
    assert report.rss_kb, "the server's memory was not sampled"
    voluntary, _ = report.switches["API"]
    assert voluntary >= report.sent, "every request wakes the API process at least once"


def test_a_warm_up_runs_the_same_load_first_and_is_reported_apart(
    postgres_url: str, tmp_path: Path
) -> None:
    """Issue 20: the figure is the steady load's; a just-started service's first second is
    the warm-up's report, on the same schedule (no pause between the two)."""
    report = soak(rate=40, seconds=2, home=tmp_path, url=postgres_url, warmup=1)
    warm = report.warmup
    assert warm is not None
    assert (warm.sent, len(warm.latencies), len(report.latencies)) == (40, 40, 80)
    assert not [*warm.errors, *report.errors]
    assert all(0 <= due < 1 for due in warm.due)
    assert all(0 <= due < 2 for due in report.due)
    assert [part.split(":")[0] for part in report.by_second().split(", ")] == ["1", "2"]
    assert 0.9 < warm.took < 1.2, "the measured seconds start when the warm-up's end"


def test_metrics_scraped_during_the_load_show_the_latency_and_lag_series_moving(
    postgres_url: str, tmp_path: Path
) -> None:
    """Issue 20's done-when, as `make soak` checks it: `/metrics` during the load."""
    report = soak(rate=30, seconds=4, home=tmp_path, url=postgres_url, workers=2)
    assert report.scrapes is not None
    assert len(report.scrapes.taken) >= 2
    assert report.scrapes.moved(LATENCY) >= report.sent
    assert report.scrapes.moved(POSITION) > 0
    assert all(all(report.scrapes.series(name)) for name in LAGS)
    assert report.scrapes.problems() == []


def test_the_load_on_http_only_api_processes_is_projected_by_a_projections_worker(
    postgres_url: str, tmp_path: Path
) -> None:
    """Issue 20: the soak deployed as README "Running at scale" runs it (`serve` with
    BILLING_PROJECTIONS=external, one `projections run` beside it): every request answered,
    the positions moved by the worker alone, whose CPU the report counts apart."""
    report = soak(
        rate=30, seconds=4, home=tmp_path, url=postgres_url, workers=2, projection_workers=1
    )
    assert not report.errors, report.errors[:5]
    assert report.scrapes is not None
    assert report.scrapes.moved(POSITION) > 0
    assert report.scrapes.problems() == []
    assert report.cpu["projections"] > 0


def test_context_switches_count_each_sleep_of_a_thread() -> None:
    """Issue 20: the soak's wake-ups per request come from these counts."""
    before, _ = context_switches(os.getpid())
    for _ in range(5):
        time.sleep(0.002)
    after, _ = context_switches(os.getpid())
    assert after - before >= 5
