"""Several processes may start on one PostgreSQL database at the same moment."""

from __future__ import annotations

import threading
from pathlib import Path

from api.bootstrap import billing_center
from api.settings import Settings
from domain.application import BillingCenter


def test_services_starting_together_on_one_postgres_database_all_start(
    postgres_url: str, tmp_path: Path
) -> None:
    """Eight BillingCenters created at once each get the store (no catalogue race)."""
    settings = Settings(
        env="development", database_url=postgres_url, data_key=tmp_path / "data.key"
    )
    barrier = threading.Barrier(8, timeout=30)
    started: list[BillingCenter] = []
    failures: list[BaseException] = []

    def start() -> None:
        barrier.wait()
        try:
            started.append(billing_center(settings))
        except BaseException as error:
            failures.append(error)

    threads = [threading.Thread(target=start) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for app in started:
        app.close()
    assert failures == []
    assert len(started) == 8
