"""What `GET /metrics` shows during a soak (issue 20): scraped every few seconds on the
service's metrics port, so that the run says whether the latency and lag series move."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

import httpx2 as httpx
from prometheus_client.parser import text_string_to_metric_families

Sample = dict[tuple[str, frozenset[tuple[str, str]]], float]
LATENCY = "billing_http_request_duration_seconds_count"
POSITION = "billing_projection_position"
LAGS = ("billing_projection_lag_events", "billing_projection_lag_seconds")
RACES = ("billing_command_conflicts_total", "billing_command_retries_total")
EVERY_SECONDS = 5.0


def parsed(text: str) -> Sample:
    """Every sample of an exposition, by name and labels."""
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def scrape(port: int) -> Sample:
    return parsed(httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=10).text)


@dataclass
class Scrapes:
    """The scrapes of one run, in order."""

    port: int
    taken: list[Sample] = field(default_factory=list)

    async def take(self) -> None:
        self.taken.append(await asyncio.to_thread(scrape, self.port))

    async def every(self, seconds: float = EVERY_SECONDS) -> None:
        while True:
            await asyncio.sleep(seconds)
            await self.take()

    def series(self, name: str) -> list[list[float]]:
        """The values of the series called `name`, scrape by scrape."""
        return [[v for (n, _), v in sample.items() if n == name] for sample in self.taken]

    def moved(self, name: str) -> float:
        """How much the series' total changed from the first scrape to the last."""
        totals = [sum(values) for values in self.series(name)]
        return totals[-1] - totals[0] if len(totals) > 1 else 0.0

    def highest(self, name: str) -> list[float]:
        """The series' highest value in each scrape."""
        return [max(values, default=0.0) for values in self.series(name)]

    def problems(self) -> list[str]:
        """What did not move or was missing (none: the series moved as the load ran)."""
        found = [f"{name} did not move" for name in (LATENCY, POSITION) if self.moved(name) <= 0]
        found += [f"{n} missing from a scrape" for n in LAGS if not all(self.series(n))]
        return found

    def summary(self) -> str:
        lags = ", ".join(
            f"{name.removeprefix('billing_projection_')} "
            + "/".join(f"{v:g}" for v in self.highest(name))
            for name in LAGS
        )
        conflicts, retries = (self.moved(name) for name in RACES)
        return (
            f"metrics: {len(self.taken)} scrapes; requests counted +{self.moved(LATENCY):.0f}, "
            f"projection positions +{self.moved(POSITION):.0f}; highest lag per scrape: {lags}; "
            f"command conflicts +{conflicts:.0f}, retries +{retries:.0f}"
        )
