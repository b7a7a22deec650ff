"""Issue 20 item 5: Prometheus metrics, scraped after requests; the series and label values
move. `/metrics` is on the API port only with BILLING_METRICS_PUBLIC=true (otherwise 401
without a token, 404 with one: API.md lists no such path), and on `--metrics-port`."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx2 as httpx
import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from api.http.app import create_app
from tests.e2e.http import World, enroll, settings_for
from tests.postgres import free_port

COMPANY = "/v1/companies/{cid}"


def samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """Every sample of an exposition, by name and labels."""
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def value(text: str, name: str, **labels: str) -> float:
    return samples(text).get((name, frozenset(labels.items())), 0.0)


@pytest.fixture
def public(tmp_path: Path) -> Iterator[tuple[TestClient, World]]:
    settings = settings_for(f"sqlite:///{tmp_path / 'e.sqlite'}", str(tmp_path))
    settings = settings.model_copy(update={"metrics_public": True})
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        yield client, enroll(client)


def test_request_latency_is_counted_by_route_template_and_status(
    public: tuple[TestClient, World],
) -> None:
    client, world = public
    labels = {"method": "GET", "route": COMPANY, "status": "200"}
    count = "billing_http_request_duration_seconds_count"
    before = value(client.get("/metrics").text, count, **labels)
    for _ in range(3):
        assert world.admin.get(f"/v1/companies/{world.cid}").status_code == 200
    after = client.get("/metrics").text
    assert value(after, count, **labels) == before + 3
    assert value(after, "billing_http_request_duration_seconds_bucket", le="+Inf", **labels) >= 3


def test_a_refusal_before_routing_is_labelled_with_its_route_template(
    public: tuple[TestClient, World],
) -> None:
    client, world = public
    assert client.get(f"/v1/companies/{world.cid}").status_code == 401  # no token
    assert client.get("/no/such/path").status_code == 401
    text = client.get("/metrics").text
    for route in (COMPANY, "unmatched"):
        series = "billing_http_request_duration_seconds_count"
        assert value(text, series, method="GET", route=route, status="401") >= 1, route


def test_projection_positions_and_lag_follow_the_store(public: tuple[TestClient, World]) -> None:
    client, world = public
    world.issue(world.accounts[0])
    world.admin.get(f"/v1/companies/{world.cid}")  # waits for the write (min_position)
    text = client.get("/metrics").text
    head = value(text, "billing_store_head_position")
    assert head >= max(world.admin.seen)
    for name in ("directory", "accounts", "invoices/0", "invoices/1", "audit", "cases", "outbox"):
        position = value(text, "billing_projection_position", projection=name)
        lag = value(text, "billing_projection_lag_events", projection=name)
        assert position + lag == head, name
        assert value(text, "billing_projection_events_applied_total", projection=name) == position
        assert ("billing_projection_lag_seconds", frozenset({("projection", name)})) in samples(
            text
        )
    assert ("billing_outbox_backlog", frozenset()) in samples(text)


def test_without_the_public_setting_the_api_port_has_no_metrics(tmp_path: Path) -> None:
    settings = settings_for(f"sqlite:///{tmp_path / 'e.sqlite'}", str(tmp_path))
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        world = enroll(client)
        assert client.get("/metrics").status_code == 401
        assert client.get("/metrics", headers=world.admin.headers).status_code == 404


def test_the_metrics_port_answers_without_a_token(tmp_path: Path) -> None:
    port = free_port()
    settings = settings_for(f"sqlite:///{tmp_path / 'e.sqlite'}", str(tmp_path))
    settings = settings.model_copy(update={"metrics_port": port})
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        assert client.get("/health").status_code == 200
        response = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=10)
    assert response.status_code == 200
    labels = {"method": "GET", "route": "/health", "status": "200"}
    assert value(response.text, "billing_http_request_duration_seconds_count", **labels) >= 1
    assert value(response.text, "billing_projection_position", projection="directory") >= 0
