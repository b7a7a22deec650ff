"""Issue 9, load: the soak generator itself, briefly (`make soak` runs it at 200 req/s, 60 s)."""

from __future__ import annotations

from pathlib import Path

import pytest

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
