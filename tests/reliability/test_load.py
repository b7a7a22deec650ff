"""Issue 9, load: the soak generator itself, briefly (`make soak` runs it at 200 req/s, 60 s)."""

from __future__ import annotations

from pathlib import Path

import pytest

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
