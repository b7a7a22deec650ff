"""The series this process records as things happen (counters and histograms).

With `serve --workers N > 1` the CLI sets `PROMETHEUS_MULTIPROC_DIR` before the workers
start, so prometheus-client keeps these values in files there and a scrape of any worker
(or of the metrics port) adds up every worker's.
"""

from __future__ import annotations

from prometheus_client import Counter, Histogram

from domain.application.retries import observe_races

REQUEST_SECONDS = Histogram(
    "billing_http_request_duration_seconds",
    "HTTP requests by method, route template and status: time to the last body byte.",
    ["method", "route", "status"],
    buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
COMMAND_CONFLICTS = Counter(
    "billing_command_conflicts_total",
    "Commands that lost a race to another writer (a refused save or a stale cached read).",
)
COMMAND_RETRIES = Counter(
    "billing_command_retries_total", "Commands run again from a fresh load after a conflict."
)
STORE_ERROR_COUNT = Counter(
    "billing_store_errors_total",
    "Requests that met an unreachable database, by which one (primary, replica).",
    ["database"],
)
MAIL_FAILURES = Counter(
    "billing_mail_delivery_failures_total",
    "E-mails not delivered: `transient` (server unreachable or 4xx, retried), `permanent`.",
    ["kind"],
)
UNMATCHED = "unmatched"
"""The route label of a request no route took (so unknown paths make one series)."""


class RaceCounters:
    """The domain's `RaceObserver`: conflicts and retries as counters."""

    def lost_race(self) -> None:
        COMMAND_CONFLICTS.inc()

    def retried(self) -> None:
        COMMAND_RETRIES.inc()


RACES = RaceCounters()


def observe_commands() -> None:
    """Count this process's command conflicts and retries (idempotent)."""
    observe_races(RACES)
